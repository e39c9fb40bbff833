"""Scale-out on Redis with scrapy-redis (issue #9): shared request queue, workers, a single ingest writer.

cluster.py   Redis keys, connection with reconnects, the cluster handle (no Scrapy)
scripts.py   the Lua scripts of the reliable queue
spider.py    the worker's spider: SiteSpider's callbacks in a run's context, outcomes committed to Redis
runview.py   a callback's run, stats and RunView (the worker's RunLedger and Ledger: crawler/ledger.py)
worker.py    Scrapy components of a worker: scheduler, queue, run-scoped dupefilter, cluster politeness
ingest.py    the single SQLite writer draining items and run messages from Redis
redis_runner.py  the scheduler's enqueueing runner (no Scrapy)
"""
