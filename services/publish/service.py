"""Wiring of the publish service."""

from __future__ import annotations

from gongkai.events import Topic
from gongkai.index import open_index
from gongkai.service import Consumer, ServiceContext, ServiceUnit
from services.publish.api import publisher_router, router
from services.publish.handlers import GROUP, INDEX_GROUP, IndexProjection, PublishHandlers
from services.publish.letters import LETTERS_GROUP, PublishedLetters, letters_database, letters_router
from services.publish.pages import router as pages_router


def build(ctx: ServiceContext) -> ServiceUnit:
    index = open_index(ctx.settings)
    db = letters_database(ctx.settings)

    async def start() -> None:
        await index.start()
        await db.open()

    async def stop() -> None:
        await db.close()
        await index.close()

    return ServiceUnit(
        name="publish",
        routers=[router(index), publisher_router(ctx, index), pages_router(index), letters_router(db)],
        consumers=[
            Consumer(GROUP, [Topic.DOCUMENTS], PublishHandlers(ctx.bus, index)),
            Consumer(INDEX_GROUP, [Topic.PUBLIC_DOCUMENTS], IndexProjection(index)),
            Consumer(LETTERS_GROUP, [Topic.PUBLIC_LETTERS], PublishedLetters(db)),
        ],
        start=start,
        stop=stop,
    )
