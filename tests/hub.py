"""A local Hugging Face hub for the tests: model folders served as hub repos over HTTP.

:class:`LocalHub` runs ``http.server`` in a thread on 127.0.0.1 and answers what
``huggingface_hub`` asks when ``HF_ENDPOINT`` points at it:

* ``HEAD`` / ``GET /{org}/{name}/resolve/{revision}/{file}``: the file from the repo's
  folder (any revision), with ``Content-Length``, ``ETag`` and ``X-Repo-Commit``;
* ``GET /api/models``: the list of repos (what :func:`labkit.hf.hub_reachable` asks);
* anything else: 404 with ``X-Error-Code: EntryNotFound`` (``RepoNotFound`` for a repo
  it does not hold), as the real hub answers.

:func:`build_test_repos` saves :data:`TEST_REPOS`: a tiny BERT with seeded random weights
and the packaged MiniLM's tokenizer, under ``labkit-test/`` ids that no real model has,
each naming its classes its own way. The root ``conftest.py`` starts one hub per test
session: the ``local_hub`` fixture for unit tests, and for nbval before the kernels start.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TestRepo:
    """One test model: its hub id, its classes, and what they mean where the names do not say.

    Args:
        name: the hub id, under ``labkit-test/``.
        id2label: the model config's class names by id.
        label_names: what each class means (for ``HubModel(label_names=...)``), or None.
        datasets: the built-in datasets whose labels its classes fit; None: every one.
    """
    __test__ = False                       # not a test class for pytest
    name: str
    id2label: dict
    label_names: tuple | None = None
    datasets: tuple | None = None

    @property
    def spec(self) -> str:
        """How ``LABKIT_HUB_MODELS`` names it: ``[dataset:]hub_id[=label/label/...]``."""
        names = "=" + "/".join(self.label_names) if self.label_names else ""
        return ",".join(f"{d}:{self.name}{names}" for d in self.datasets or ("",)).lstrip(":")


POSNEG = TestRepo("labkit-test/tiny-bert-posneg", {0: "NEGATIVE", 1: "POSITIVE"})
LABEL_IDS = TestRepo("labkit-test/tiny-bert-label-ids",
                     {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
                     label_names=("positive", "negative", "neutral"), datasets=("semeval2017a",))
NEGNEUPOS = TestRepo("labkit-test/tiny-bert-negneupos",
                     {0: "negative", 1: "neutral", 2: "positive"}, datasets=("semeval2017a",))
TEST_REPOS = (POSNEG, LABEL_IDS, NEGNEUPOS)


def build_test_repos(folder: Path, repos=TEST_REPOS) -> Path:
    """Save each repo as a model folder ``folder/org/name``, the same bytes every time.

    Args:
        folder: where the repos go.
        repos: the :class:`TestRepo` entries to save.
    """
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from labkit.hf import packaged_minilm, progress_bars

    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm())
    for seed, repo in enumerate(repos):
        config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=64,
                            max_position_embeddings=128, initializer_range=0.5,
                            num_labels=len(repo.id2label), id2label=repo.id2label,
                            label2id={label: i for i, label in repo.id2label.items()})
        with torch.random.fork_rng(devices=[]), progress_bars(False):
            torch.manual_seed(seed)
            BertForSequenceClassification(config).save_pretrained(Path(folder) / repo.name)
        tokenizer.save_pretrained(Path(folder) / repo.name)
    return Path(folder)


class LocalHub:
    """A hub on 127.0.0.1 serving the repo folders under ``root`` (``root/org/name``).

    Args:
        root: a folder of repos, e.g. from :func:`build_test_repos`.
        repos: the :class:`TestRepo` entries saved there.
    """

    def __init__(self, root: Path, repos=TEST_REPOS):
        self.root, self.repos = Path(root), tuple(repos)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.root))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop answering and free the port."""
        self.server.shutdown()
        self.server.server_close()

    def hub_models(self) -> str:
        """The value of ``LABKIT_HUB_MODELS`` that names every repo for the datasets it fits."""
        return ",".join(repo.spec for repo in self.repos)

    def use(self, home: Path, patch) -> None:
        """Send ``huggingface_hub`` here, from this process and those it starts.

        It reads ``HF_ENDPOINT`` and its cache folders when imported, so where it is
        already imported its constants are set too. Downloads go to an empty cache.

        Args:
            home: ``HF_HOME``, an empty folder (the cache is ``home/hub``).
            patch: a ``pytest.MonkeyPatch``; its ``undo()`` puts everything back.
        """
        from huggingface_hub import constants

        cache = str(Path(home) / "hub")
        for name, value in {"HF_ENDPOINT": self.url, "HF_HOME": str(home), "HF_HUB_CACHE": cache,
                            "HF_HUB_DISABLE_TELEMETRY": "1"}.items():
            patch.setenv(name, value)
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            patch.delenv(name, raising=False)
        template = self.url + "/{repo_id}/resolve/{revision}/{filename}"
        for name, value in {"ENDPOINT": self.url, "HUGGINGFACE_CO_URL_TEMPLATE": template,
                            "HF_HOME": str(home), "HF_HUB_CACHE": cache,
                            "HF_HUB_OFFLINE": False}.items():
            patch.setattr(constants, name, value)


def _handler(root: Path):
    """The request handler class for a hub.

    Args:
        root: the folder of repos (``root/org/name``).
    """

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self._answer(body=False)

        def do_GET(self):
            self._answer(body=True)

        def log_message(self, *args):          # quiet test logs
            pass

        def _answer(self, body: bool):
            path = self.path.split("?")[0]
            if path == "/api/models":
                repos = sorted(p.parent.name + "/" + p.name for p in root.glob("*/*") if p.is_dir())
                return self._send(200, json.dumps([{"id": r} for r in repos]).encode(),
                                  {"Content-Type": "application/json"}, body)
            parts = path.strip("/").split("/", 4)
            if len(parts) < 5 or parts[2] != "resolve":
                return self._send(404, b"", {"X-Error-Code": "EntryNotFound"}, body)
            repo, file = root / parts[0] / parts[1], repo_file(root / parts[0] / parts[1], parts[4])
            if not repo.is_dir():
                return self._send(404, b"", {"X-Error-Code": "RepoNotFound"}, body)
            if file is None:
                return self._send(404, b"", {"X-Error-Code": "EntryNotFound"}, body)
            data = file.read_bytes()
            return self._send(200, data, {"ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                                          "X-Repo-Commit": repo_commit(repo),
                                          "Content-Type": "application/octet-stream"}, body)

        def _send(self, status: int, data: bytes, headers: dict, body: bool):
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(data))}.items():
                self.send_header(key, value)
            self.end_headers()
            if body:
                self.wfile.write(data)

    return Handler


def repo_file(repo: Path, name: str) -> Path | None:
    """The file ``name`` of ``repo``, or None when it is missing or lies outside the repo.

    Args:
        repo: the repo's folder.
        name: the file's path in the repo, as the URL gives it.
    """
    file = (repo / name).resolve()
    return file if file.is_file() and repo.resolve() in file.parents else None


@functools.lru_cache(maxsize=None)
def repo_commit(repo: Path) -> str:
    """A 40-hex commit id for a repo: the SHA-1 of its files' names and contents.

    Args:
        repo: the repo's folder.
    """
    digest = hashlib.sha1()
    for file in sorted(p for p in repo.rglob("*") if p.is_file()):
        digest.update(file.relative_to(repo).as_posix().encode() + file.read_bytes())
    return digest.hexdigest()
