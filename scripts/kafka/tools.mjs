// Runs the stock Apache Kafka command-line tools (from org.apache.kafka:kafka-tools) in the foreground.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ensureArtifacts, toolsArtifacts } from './artifacts.mjs';
import { HOST, clientPort } from './config.mjs';
import { checkJava, javaCommand } from './processes.mjs';

/** kafka.mjs sub-command -> main class (what bin/kafka-*.sh would run). */
export const TOOLS = {
  'console-producer': 'org.apache.kafka.tools.ConsoleProducer',
  'console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  topics: 'org.apache.kafka.tools.TopicCommand',
};

// Progress of a first-run download goes to stderr: the tools' stdout must carry only their output.
const logToStderr = (message) => process.stderr.write(`[kafka] ${message}\n`);

function jvmArgs() {
  return [
    '-Xmx512m', // what bin/kafka-console-*.sh give these tools
    '-XX:+UseSerialGC', // short-lived single-client JVM: the cheapest collector starts fastest
    '-Djava.awt.headless=true',
    // slf4j-simple writes to stderr; warn keeps client chatter (config dumps, app info) out.
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-Dorg.slf4j.simpleLogger.logFile=System.err',
  ];
}

/** The tool's arguments: unchanged, plus the local broker when no bootstrap address is given. */
export function toolArgs(args) {
  // `pnpm kafka:console-consumer -- --topic x` may hand us the `--`; the tools would take it as
  // "end of options" and then miss every option after it.
  const rest = args[0] === '--' ? args.slice(1) : args;
  const hasServer = rest.some((a) => a === '--bootstrap-server' || a.startsWith('--bootstrap-server='));
  return hasServer ? rest : [...rest, '--bootstrap-server', `${HOST}:${clientPort(1)}`];
}

/** Runs a tool with inherited stdio; resolves with the exit code to pass on (128+n if killed by signal n). */
export async function runTool(name, args) {
  checkJava();
  const lib = await ensureArtifacts(toolsArtifacts(), { log: logToStderr });
  const child = spawn(javaCommand(), [...jvmArgs(), '-cp', join(lib, '*'), TOOLS[name], ...toolArgs(args)], {
    stdio: 'inherit',
  });
  // Stay alive until the JVM has shut down (the consumer prints its message count then) and pass
  // signals on: Ctrl-C reaches the JVM anyway (same process group), a repeat is harmless there.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}
