"""After a delete: make edge caches (`serve --edge URL`) drop the reel's URLs, best effort.

Stock nginx has no purge method, and CDNs each have their own API; what every cache does
is store the answer to a request it was told to send to the origin. So for each URL the
reel had, the origin sends a GET to the edge's purge listener (deploy/local-cluster.sh:
a server block on loopback that shares the cache zone and key and sets
`proxy_cache_bypass`); the edge fetches the URL from the origin again, gets the 404 (a
minute's `public` Cache-Control) or the shorter list, and stores it over what it held.
Failures are logged, never raised: the reel is already gone from the origin, and what an
edge still holds expires (playlists within a minute, lists within 10 s; see cloud/api.py).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("reeleditor.cloud.purge")
TIMEOUT = 2.0  # seconds per purge request
PARALLEL = 8  # requests in flight per edge
HEADER = "X-Reeleditor-Purge"  # marks the request in the edge's logs; the port guards it


async def purge(edges: tuple[str, ...], paths: list[str], timeout: float = TIMEOUT) -> int:
    """GET every path from every edge with the purge header; how many answered at all."""
    import aiohttp

    limit = asyncio.Semaphore(PARALLEL * max(1, len(edges)))
    done = 0

    async def one(session: aiohttp.ClientSession, url: str) -> None:
        nonlocal done
        async with limit:
            try:
                async with session.get(url, headers={HEADER: "1"}, allow_redirects=False) as r:
                    await r.read()
                    done += 1
                    if r.status >= 500:
                        log.warning("purge of %s: the edge answered %d", url, r.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("purge of %s failed: %s", url, type(exc).__name__)

    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        await asyncio.gather(
            *(one(session, edge.rstrip("/") + path) for edge in edges for path in paths)
        )
    log.info("purged %d URLs from %d edges (%d answered)", len(paths), len(edges), done)
    return done
