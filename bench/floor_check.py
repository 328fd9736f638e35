"""The floor for ``colibri check``: the same Docker API reads and the same registry HEADs,
done directly with httpx and the same concurrency, with nothing else around them.

Prints the number of containers whose tag moved. Usage: python bench/floor_check.py
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def main() -> None:
    engine = httpx.Client(
        transport=httpx.HTTPTransport(uds="/var/run/docker.sock"), base_url="http://docker/v1.41"
    )
    containers = engine.get("/containers/json").json()
    chosen = [c for c in containers if (c.get("Labels") or {}).get("colibri.enable") == "true"]
    refs = sorted({c["Image"] for c in chosen})
    with ThreadPoolExecutor(8) as pool:
        images = dict(
            zip(
                sorted({c["ImageID"] for c in chosen}),
                pool.map(
                    lambda i: engine.get(f"/images/{i}/json").json(),
                    sorted({c["ImageID"] for c in chosen}),
                ),
                strict=True,
            )
        )
        list(pool.map(lambda r: engine.get(f"/images/{quote(r, safe='/:')}/json"), refs))
    registry = httpx.Client(headers={"Accept": ACCEPT})
    with ThreadPoolExecutor(4) as pool:
        remote = dict(zip(refs, pool.map(lambda r: head(registry, r), refs), strict=True))
    stale = 0
    for container in chosen:
        mine = {d.rpartition("@")[2] for d in images[container["ImageID"]]["RepoDigests"]}
        stale += remote[container["Image"]] not in mine
    print(json.dumps({"containers": len(chosen), "stale": stale}))


def head(client: httpx.Client, ref: str) -> str:
    host, _, rest = ref.partition("/")
    path, _, tag = rest.rpartition(":")
    response = client.head(f"http://{host}/v2/{path}/manifests/{tag}")
    response.raise_for_status()
    return response.headers["Docker-Content-Digest"]


if __name__ == "__main__":
    main()
    sys.exit(0)
