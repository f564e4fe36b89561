"""Scrapy settings shared by every Maraude crawl.

``maraude crawl`` builds the final settings from ``[crawl]`` in the config
(see :func:`crawlers.compose.build_settings`); these are the fixed defaults.
"""

BOT_NAME = "maraude"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {
    "crawlers.pipelines.ValidatePipeline": 100,
    "crawlers.pipelines.NormalisePipeline": 200,
    "crawlers.pipelines.LanguagePipeline": 250,
    "crawlers.pipelines.PseudonymisePipeline": 300,
    "crawlers.pipelines.SQLitePipeline": 900,
}
# Never print items (post text, handles) in the log.
LOG_FORMATTER = "crawlers.logformatter.PrivacyLogFormatter"

# Pause a host on HTTP 429 and rate-limit headers (x-ratelimit-*, RateLimit-*).
# Above 550: a 429 reaches it before Scrapy's RetryMiddleware retries at once.
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.RateLimitMiddleware": 560,
    # Scrapy 2.19's robots.txt check lets requests through that wait while
    # robots.txt is downloaded: ours checks every one of them.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.OrderlyRobotsTxtMiddleware": 100,
}
MARAUDE_MAX_RATELIMIT_WAIT = 900
# Posts in other languages are counted, not stored ([classifier] languages).
MARAUDE_LANGUAGES = ["fr"]
