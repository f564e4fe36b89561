"""One spider per platform, found by Scrapy's own registry.

A platform is its spider file: a module of ``SPIDER_MODULES``
(:mod:`crawlers.settings`) holding a :class:`~crawlers.spiders.base.SourceSpider`
subclass with ``name = platform = "<platform>"``. Scrapy's ``SpiderLoader``
finds it (``scrapy list``), and so does :func:`spiders`, which maps a source's
``platform`` to its spider; :data:`SPIDERS` is that map for the project's
settings. A spider may declare the keys of its sources as ``source_schema`` (a
:class:`~maraude.sources.SourceSchema`); the platforms of the vocabulary
(:data:`maraude.vocab.PLATFORMS`) default to those of :mod:`maraude.sources`.
:func:`source_schemas` is what the composition root passes to
:func:`maraude.sources.load_sources`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from crawlers import settings as project_settings
from maraude.errors import ConfigError
from maraude.sources import SCHEMAS, SourceSchema

if TYPE_CHECKING:
    from crawlers.spiders.base import SourceSpider

__all__ = ["SPIDERS", "source_schemas", "spiders"]


@cache
def _load(modules: tuple[str, ...]) -> dict[str, type[SourceSpider]]:
    loader = get_spider_loader(Settings({"SPIDER_MODULES": list(modules)}))
    found: dict[str, type[SourceSpider]] = {}
    for name in loader.list():
        spider = loader.load(name)
        if getattr(spider, "platform", None) != name:
            raise ConfigError(
                f"Spider {spider.__module__}.{spider.__qualname__} is named {name!r} "
                "but does not crawl that platform: set name = platform = "
                f'"{name}" on the class.'
            )
        found[name] = spider  # type: ignore[assignment]
    return found


def spiders(modules: Sequence[str] | None = None) -> dict[str, type[SourceSpider]]:
    """Each platform with its spider class, as ``scrapy list`` finds them.

    ``modules``: where to look (default: the project's ``SPIDER_MODULES``).
    """
    chosen = tuple(modules or project_settings.SPIDER_MODULES)
    return dict(_load(chosen))


def source_schemas(modules: Sequence[str] | None = None) -> dict[str, SourceSchema]:
    """Each platform with the keys of its sources, for ``load_sources``.

    A spider's own ``source_schema`` wins; else the one of
    :data:`maraude.sources.SCHEMAS`. A spider with neither is a
    :class:`~maraude.errors.ConfigError` that says what to declare.
    """
    schemas: dict[str, SourceSchema] = {}
    for platform, spider in spiders(modules).items():
        schema = getattr(spider, "source_schema", None) or SCHEMAS.get(platform)
        if schema is None:
            raise ConfigError(
                f"The {platform} spider ({spider.__module__}) declares no source "
                "keys: give its class a source_schema = SourceSchema(keys={...}) "
                "(see maraude.sources)."
            )
        schemas[platform] = schema
    return schemas


def __getattr__(name: str) -> Any:
    """:data:`SPIDERS`, read from Scrapy's registry when first asked for."""
    if name == "SPIDERS":
        return spiders()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
