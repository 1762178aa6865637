"""/metrics under gunicorn with several workers: one scrape of any worker counts every worker's requests.

The server runs as `omnialloc serve` runs it (api.serving.gunicorn_argv, PROMETHEUS_MULTIPROC_DIR set); new
connections are spread over the workers by the kernel (one SO_REUSEPORT socket each), and the JSON request
log names the worker (pid) that answered, so the test knows both workers served before it scrapes.
"""

from __future__ import annotations

import json

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.reliability.gunicorn_server import Gunicorn

REQUESTS = 60


def _health_count(text: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "omnialloc_http_requests_total" and s.labels.get("route") == "/health/live")


def test_one_scrape_counts_every_workers_requests(clean_db_url, clean_engine, admin_token, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    log = tmp_path / "gunicorn.log"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "OMNIALLOC_LOG_LEVEL": "INFO", "OMNIALLOC_LOG_FORMAT": "json"}
    with Gunicorn(clean_db_url, workers=2, env=env, log=log) as server:
        for i in range(REQUESTS):  # a new connection each: the kernel picks a worker's socket per connection
            r = httpx.get(server.url + "/health/live", headers={"Connection": "close", "X-Request-ID": f"mp-{i}"})
            assert r.status_code == 200
        scrapes = [httpx.get(server.url + "/metrics", headers={"Authorization": f"Bearer {admin_token}",
                                                               "Connection": "close"}, timeout=10)
                   for _ in range(6)]
        workers = server.worker_pids()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    answered_by = {line["pid"] for line in lines if str(line.get("request_id", "")).startswith("mp-")}
    assert len(answered_by) == 2 and answered_by <= set(workers)  # both workers served some of them
    for scrape in scrapes:
        assert scrape.status_code == 200
        assert _health_count(scrape.text) == REQUESTS  # whichever worker answered the scrape
    assert len(list(folder.glob("*.db"))) >= 2  # a sample file per worker process
