/**
 * The Lua scripts of the Redis history store. Each runs atomically, so the offset a message
 * gets, its place in the stream and its place in the pub/sub order are one and the same on
 * every node. Keys: the room's stream (`KEYS[1]`) and its meta hash (`KEYS[2]`: `e` the epoch,
 * `s` the last offset); a missing meta hash means the room's history was lost (expired, evicted,
 * flushed): a new epoch starts and the old stream, if any, is dropped.
 */

/**
 * Appends one message. ARGV: channel, new epoch, size, ttl ms, now ms, event (JSON), data (JSON),
 * exceptions (JSON), reset ("1": start a new epoch), epoch ttl ms. Publishes
 * `offset\nepoch\nnow\nexceptions\nevent\ndata` and returns the offset.
 */
export const APPEND_SCRIPT = `
local epoch = redis.call('HGET', KEYS[2], 'e')
if (not epoch) or ARGV[9] == '1' then
  epoch = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch, 's', 0)
end
local offset = redis.call('HINCRBY', KEYS[2], 's', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], offset .. '-1', 't', ARGV[5], 'v', ARGV[6], 'd', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[10])
redis.call('PUBLISH', ARGV[1], offset .. '\\n' .. epoch .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[8] .. '\\n' .. ARGV[6] .. '\\n' .. ARGV[7])
return offset
`

/**
 * Reads a range. ARGV: mode ("after" or "last"), the offset or the count, limit, new epoch,
 * epoch ttl ms. Returns { epoch, top, entries } (entries as XRANGE gives them, newest first for
 * "last"). A room without meta gets its epoch here, so a join before the first message already
 * names the epoch that message will have.
 */
export const READ_SCRIPT = `
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[4]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch, 's', 0)
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  return { epoch, 0, {} }
end
local top = tonumber(redis.call('HGET', KEYS[2], 's'))
local limit = tonumber(ARGV[3])
if limit == 0 then return { epoch, top, {} } end
if ARGV[1] == 'after' then
  return { epoch, top, redis.call('XRANGE', KEYS[1], (tonumber(ARGV[2]) + 1) .. '-0', '+', 'COUNT', limit) }
end
return { epoch, top, redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', limit) }
`
