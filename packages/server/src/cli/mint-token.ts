import { SignJWT } from 'jose';
import { USAGE, mintRequest, type MintRequest } from './token-options.js';

/** Signs the token: `sub`, `iat`, `exp`, and `channels`, `iss`, `aud` when given. */
export function mintToken(request: MintRequest, nowS = Math.floor(Date.now() / 1000)): Promise<string> {
  const claims = request.channels === undefined ? {} : { channels: request.channels };
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: request.algorithm, typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + request.ttlS);
  if (request.issuer !== undefined) jwt = jwt.setIssuer(request.issuer);
  if (request.audience !== undefined) jwt = jwt.setAudience(request.audience);
  return jwt.sign(request.secret);
}

/** `pnpm run token`: the token alone on stdout (so `$(pnpm -s run token ...)` works), one line on stderr otherwise. */
async function main(): Promise<void> {
  try {
    const request = mintRequest(process.argv.slice(2), process.env);
    if (request === 'help') {
      process.stdout.write(USAGE);
      return;
    }
    process.stdout.write(`${await mintToken(request)}\n`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')} (see --help)\n`);
    // exitCode, not exit(): stderr is flushed before the process ends.
    process.exitCode = 1;
  }
}

await main();
