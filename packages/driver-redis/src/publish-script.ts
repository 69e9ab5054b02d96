import { createHash } from 'node:crypto';
import { BusError, type PreparedPublish } from '@app/core';
import type { Redis } from 'ioredis';
import { encodeFields } from './entry-codec.js';

/**
 * Stores and announces a batch of messages in one atomic script call. For each message: read
 * the id of its stream's newest entry, `XADD` the new entry, then `PUBLISH` the announcement
 * (announcement.ts) on the pub/sub channel named like the stream key. Since both happen inside
 * one script, announcements come in stream order and each names its predecessor, which is how a
 * subscriber knows it missed nothing.
 *
 * An ephemeral message is not stored: it is announced with the newest entry's id (`0-0` for an
 * empty or missing stream) as both its own id and its predecessor, and Redis's time in its meta,
 * and that id is its position. So it keeps its place among the stored messages announced around
 * it, a channel that only gets ephemeral messages has no stream key, and an older subscriber,
 * which knows no such mark, drops it as already seen. It is stored after all when the stream has
 * a consumer group: a group reads only the stream, and would miss it otherwise.
 *
 * A stored message also sets the stream's TTL again (`EXPIRE`, once per key per call: a burst on
 * one channel is one call), so a stream lives `streamTtlSeconds` after its last stored publish;
 * ephemeral messages, which add nothing to keep, leave the TTL alone.
 *
 * KEYS[i] is the stream key of message i. ARGV[1] is MAXLEN (0: no trimming), ARGV[2] the TTL in
 * seconds (0: never expire); then per message
 * the number of entry fields+values n, `e` (ephemeral) or `s`, the meta (for `e` always with
 * headers, so the time can follow them), and the n field/value strings, the JSON data being the
 * fourth of them. The reply holds per message its position (the entry id, or for an ephemeral
 * message its predecessor's), or `!` and Redis's error (one bad key fails only its own message).
 */
const PUBLISH_LUA = `
local results = {}
local maxlen = ARGV[1]
local ttl = ARGV[2]
local refreshed = {}
local at = 3
local now
for i = 1, #KEYS do
  local key = KEYS[i]
  local count = tonumber(ARGV[at])
  local ephemeral = ARGV[at + 1] == 'e'
  local meta = ARGV[at + 2]
  local first = at + 3
  local last = at + 2 + count
  at = last + 1
  local newest = redis.pcall('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if newest.err then
    results[i] = '!' .. newest.err
  else
    local previous = ''
    if newest[1] then previous = newest[1][1] end
    if ephemeral then
      -- A consumer group reads only the stream: for one, it is stored after all.
      local groups = redis.pcall('XINFO', 'GROUPS', key)
      if not groups.err and #groups > 0 then ephemeral = false end
    end
    if ephemeral then
      if previous == '' then previous = '0-0' end
      if not now then
        -- pcall like every other command here: a raise would fail messages already stored.
        local time = redis.pcall('TIME')
        if time.err then now = '0' else now = time[1] .. string.format('%03d', math.floor(tonumber(time[2]) / 1000)) end
      end
      redis.pcall('PUBLISH', key, previous .. '\\n' .. previous .. '\\n' .. string.sub(meta, 1, -2) .. ',' .. now .. ']\\n' .. ARGV[first + 3])
      results[i] = previous
    else
      local id
      if maxlen == '0' then
        id = redis.pcall('XADD', key, '*', unpack(ARGV, first, last))
      else
        id = redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(ARGV, first, last))
      end
      if type(id) == 'table' then
        results[i] = '!' .. id.err
      else
        if ttl ~= '0' and not refreshed[key] then
          -- pcall: a failed EXPIRE leaves an entry that is stored all the same.
          redis.pcall('EXPIRE', key, ttl)
          refreshed[key] = true
        end
        redis.pcall('PUBLISH', key, id .. '\\n' .. previous .. '\\n' .. meta .. '\\n' .. ARGV[first + 3])
        results[i] = id
      end
    end
  end
end
return results
`;

const PUBLISH_SHA = createHash('sha1').update(PUBLISH_LUA).digest('hex');

/** A batch stops growing at this many messages or bytes, so one script call stays short. */
const MAX_BATCH_MESSAGES = 64;
const MAX_BATCH_BYTES = 256 * 1024;

interface Pending {
  readonly key: string;
  readonly prepared: PreparedPublish;
  resolve(id: string): void;
  reject(error: unknown): void;
}

/**
 * What travels beside the data in an announcement: the message id, and the headers when there
 * are any (always for an ephemeral message: the script appends the time after them).
 */
function encodeMeta(prepared: PreparedPublish): string {
  return JSON.stringify(prepared.ephemeral || Object.keys(prepared.headers).length > 0 ? [prepared.id, prepared.headers] : [prepared.id]);
}

/**
 * Publishes of one event-loop turn leave as one script call (several, past the batch bounds),
 * in call order, so a burst costs Redis one script run rather than one per message. The batch
 * is sent from `setImmediate`, after every socket read of the turn: with `nextTick` it would
 * close after each client's frame, and a server with many publishing clients would batch nothing. Each publish
 * resolves with its position (the entry id; an ephemeral one's predecessor's), or rejects with the error Redis gave for it.
 */
export class PublishScript {
  private batch: Pending[] = [];
  private batchBytes = 0;
  private scheduled = false;

  constructor(
    private readonly command: Redis,
    private readonly maxLen: number,
    /** Seconds a stream lives after its last stored publish; 0 never expires it. */
    private readonly ttlSeconds: number,
  ) {
    // Sent first on every new connection, ahead of any publish, so EVALSHA finds the script.
    command.on('ready', () => this.load());
  }

  /** Stores and announces one message (announces only, when ephemeral); resolves with its position. */
  run(key: string, prepared: PreparedPublish): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.batch.length >= MAX_BATCH_MESSAGES || this.batchBytes + prepared.size > MAX_BATCH_BYTES) this.flush();
      this.batch.push({ key, prepared, resolve, reject });
      this.batchBytes += prepared.size;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    const keys = batch.map((item) => item.key);
    const args: (string | number)[] = [this.maxLen, this.ttlSeconds];
    for (const { prepared } of batch) {
      const fields = encodeFields(prepared);
      args.push(fields.length, prepared.ephemeral ? 'e' : 's', encodeMeta(prepared), ...fields);
    }
    this.call(keys, args).then(
      (reply) => {
        const ids = Array.isArray(reply) ? reply : [];
        for (const [index, item] of batch.entries()) {
          const id: unknown = ids[index];
          if (typeof id === 'string' && !id.startsWith('!')) item.resolve(id);
          else item.reject(new Error(typeof id === 'string' ? id.slice(1) : `the publish script returned ${String(id)} instead of an entry id`));
        }
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  }

  /**
   * `EVALSHA`; the script text is sent only by `SCRIPT LOAD`. A Redis that lost its script cache
   * without a reconnect (`SCRIPT FLUSH`, a failover behind a proxy) answers `NOSCRIPT`: those
   * publishes are refused as retryable and the script is loaded again. Retrying them here instead
   * could store them after a later publish that found the script already reloaded (by this or by
   * another instance), so a refusal is what keeps the stored order the call order.
   */
  private async call(keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.command.call('EVALSHA', [PUBLISH_SHA, keys.length, ...keys, ...args]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      this.load();
      throw new BusError('broker', 'Redis had lost the publish script (SCRIPT FLUSH or a failover); it is loaded again, publish again', {
        cause: error,
        retryable: true,
      });
    }
  }

  private load(): void {
    if (this.command.status !== 'ready') return;
    this.command.call('SCRIPT', ['LOAD', PUBLISH_LUA]).catch(() => {
      // Down again: the next 'ready' loads it; a publish meanwhile fails on the connection anyway.
    });
  }
}
