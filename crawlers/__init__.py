"""Maraude's crawlers: a Scrapy project that gathers public posts into ``posts``."""
