"""The Lua scripts of the reliable shared queue (crawler/distributed/cluster.py registers them).

Every change a worker makes for a request it popped happens in ONE script, guarded by removing that
request's in-flight entry (see cluster.py's docstring for the rule and why it makes commits exactly-once).
"""

# -- Lua ------------------------------------------------------------------------------------------
# Keys are built inside the scripts from the prefix: fine for one Redis server (not Redis Cluster).
_FINISH = """
local function finish(P, token)
  local run = P .. ':run:' .. token
  local t = redis.call('TIME')
  redis.call('HSET', run, 'status', 'crawled', 'crawled_at', t[1])
  redis.call('LPUSH', P .. ':items', cjson.encode({type = 'run-finish', run = token}))
end
local function split(v)
  local sep = string.find(v, ':', 1, true)
  return string.sub(v, 1, sep - 1), string.sub(v, sep + 1)
end
"""

# ARGV: prefix, worker → {id, data} or nil. Pop the lowest score into the worker's in-flight hash.
POP = """
local P, w = ARGV[1], ARGV[2]
local r = redis.call('ZRANGE', P .. ':requests', 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', P .. ':requests', r[1])
local id = redis.call('INCR', P .. ':inflight:seq')
redis.call('HSET', P .. ':inflight:' .. w, id, r[2] .. ':' .. r[1])
return {tostring(id), r[1]}
"""

# ARGV: prefix, payload JSON, child request blobs…  → pending left, or -1 when refused (stale).
COMMIT = (
    _FINISH
    + """
local P = ARGV[1]
local p = cjson.decode(ARGV[2])
local run = P .. ':run:' .. p.run
if p.inflight ~= '' and redis.call('HDEL', P .. ':inflight:' .. p.worker, p.inflight) == 0 then
  return -1
end
if p.job ~= '' and redis.call('LREM', P .. ':jobs:claimed:' .. p.worker, 1, p.job) == 0 then
  return -1
end
local accepted, deferred, cut = 0, 0, false
-- the site's max_articles: the run's claims set counts its article requests, cluster-wide
local cap = tonumber(p.max_articles or 0) or 0
local claimed = 0
if cap > 0 then claimed = redis.call('SCARD', run .. ':claims') end
for i, c in ipairs(p.children) do
  local ok = true
  if cap > 0 and claimed >= cap and (c.keep or 0) == 0 then
    -- full: like a local crawl closed by CLOSESPIDER_ITEMCOUNT, the run follows nothing more; new article
    -- links stay unclaimed (unknown, so the next run requests them) and count as deferred
    ok = false
    local src = c.src or ''
    if c.claim ~= '' then
      if redis.call('SISMEMBER', run .. ':claims', c.claim) == 0 then
        deferred, cut = deferred + 1, true
        if src ~= '' then
          redis.call('SADD', run .. ':capped', src)
          redis.call('HINCRBY', run .. ':requested', src, -1)
        end
      end
    elseif c.fp == '' or redis.call('SISMEMBER', run .. ':df', c.fp) == 0 then
      cut = true
      if src ~= '' then redis.call('SADD', run .. ':capped', src) end
    end
  end
  if ok and c.claim ~= '' then
    if redis.call('SADD', run .. ':claims', c.claim) == 0 then ok = false else claimed = claimed + 1 end
  end
  if ok and c.fp ~= '' and redis.call('SADD', run .. ':df', c.fp) == 0 then ok = false end
  if ok then
    redis.call('ZADD', P .. ':requests', c.score, ARGV[2 + i])
    accepted = accepted + 1
  end
end
if deferred > 0 then
  redis.call('HINCRBY', run, 's:newsmon/links_deferred', deferred)
  redis.call('HINCRBY', run, 's:newsmon/article_requests', -deferred)
end
if cut then redis.call('HSET', run, 'finish_reason', 'closespider_itemcount') end
for _, m in ipairs(p.messages) do redis.call('LPUSH', P .. ':items', m) end
for f, n in pairs(p.stats) do redis.call('HINCRBY', run, 's:' .. f, n) end
for suffix, kv in pairs(p.hset) do
  local key = run
  if suffix ~= '' then key = run .. ':' .. suffix end
  for f, v in pairs(kv) do redis.call('HSET', key, f, v) end
end
for suffix, kv in pairs(p.hincr) do
  for f, v in pairs(kv) do redis.call('HINCRBY', run .. ':' .. suffix, f, v) end
end
for suffix, members in pairs(p.sadd) do
  for _, m in ipairs(members) do redis.call('SADD', run .. ':' .. suffix, m) end
end
if p.pages > 0 then redis.call('HINCRBY', P .. ':workerstats', p.worker, p.pages) end
local left = redis.call('HINCRBY', run, 'pending', accepted - p.done)
if left <= 0 then finish(P, p.run) end
return left
"""
)

# ARGV: prefix, worker, in-flight id, blob, score, dupefilter fingerprint, run → 1 queued, 0 dropped, -1 stale.
# A retry or redirect of a popped request: the replacement is queued in the same step that retires the
# original's in-flight entry.
REQUEUE = (
    _FINISH
    + """
local P, w, id, blob, score, fp, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if id ~= '' and redis.call('HDEL', P .. ':inflight:' .. w, id) == 0 then return -1 end
local run = P .. ':run:' .. token
if fp ~= '' and token ~= '' and redis.call('SADD', run .. ':df', fp) == 0 then
  if id ~= '' then
    local left = redis.call('HINCRBY', run, 'pending', -1)
    if left <= 0 then finish(P, token) end
  end
  return 0
end
redis.call('ZADD', P .. ':requests', score, blob)
if id == '' and token ~= '' then redis.call('HINCRBY', run, 'pending', 1) end
return 1
"""
)

# ARGV: prefix, worker, force ("1": even when alive) → entries given back, or -1 when the worker is alive.
REAP = (
    _FINISH
    + """
local P, w, force = ARGV[1], ARGV[2], ARGV[3]
if force ~= '1' and redis.call('EXISTS', P .. ':alive:' .. w) == 1 then return -1 end
local vals = redis.call('HVALS', P .. ':inflight:' .. w)
for _, v in ipairs(vals) do
  local score, blob = split(v)
  redis.call('ZADD', P .. ':requests', score, blob)
end
redis.call('DEL', P .. ':inflight:' .. w)
local jobs = 0
while redis.call('LMOVE', P .. ':jobs:claimed:' .. w, P .. ':jobs', 'LEFT', 'RIGHT') do jobs = jobs + 1 end
redis.call('SREM', P .. ':workers', w)
return #vals + jobs
"""
)

# ARGV: prefix, worker, id → 1 when the entry was put back. An entry the worker no longer tracks (its
# pop's reply was lost to a Redis restart) goes back to the queue.
RELEASE = (
    _FINISH
    + """
local P, w, id = ARGV[1], ARGV[2], ARGV[3]
local v = redis.call('HGET', P .. ':inflight:' .. w, id)
if not v then return 0 end
redis.call('HDEL', P .. ':inflight:' .. w, id)
local score, blob = split(v)
redis.call('ZADD', P .. ':requests', score, blob)
return 1
"""
)

# KEYS: host leases.  ARGV: concurrency, delay ms, lease ms, holder → 0 acquired, else ms to wait.
# Requests to one host start at least `delay` apart and at most `concurrency` run at once, cluster-wide.
# Time is Redis's clock, so workers on several machines agree.
ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local leases, nextkey = KEYS[1], KEYS[1] .. ':next'
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local nxt = tonumber(redis.call('GET', nextkey) or '0')
if now < nxt then return nxt - now end
if redis.call('ZCARD', leases) >= tonumber(ARGV[1]) then return -1 end
redis.call('ZADD', leases, now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', leases, tonumber(ARGV[3]))
if tonumber(ARGV[2]) > 0 then redis.call('SET', nextkey, now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2])) end
return 0
"""
