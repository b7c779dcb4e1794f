"""The bot end to end: questions per second and reply latency with 100k passages stored.

Run from the repository root: ``python bench/bot.py`` (``--passages 20000`` for a quick
run). The real Application answers questions through the fake Bot API of the tests
(HTTP on 127.0.0.1): getUpdates delivers the question, the engine answers in a worker
thread, sendMessage carries the reply. Latency is from the moment the question is queued
on the fake server to the moment the reply reaches it (it includes the long-poll pickup,
the "typing…" request and the reply request).

The corpus is real text: the SQuAD articles stored whole, plus synthetic articles of
sentences drawn at random from them, until ``--passages`` sentences are stored, all held
by the asking chat. Questions are SQuAD questions. Telegram's flood limits are turned
off (``messages_per_second = 0``): they would measure Telegram, not the bot.

- ``sequential``: one question at a time; p50/p95 latency (the target: p95 < 150 ms).
- ``burst``: all questions queued at once from ``--chats`` chats; questions per second.

Writes ``bench/results/bot.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import percentile, squad_articles  # noqa: E402
from bot.config import BotConfig, BotLimitsConfig, TelegramConfig  # noqa: E402
from retrieval.config import StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.models import Extracted  # noqa: E402
from retrieval.owners import Owner  # noqa: E402
from retrieval.sentences import split_paragraphs  # noqa: E402
from tests.conftest import running_bot  # noqa: E402
from tests.fakebot import FakeBotApi  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "bot.json"
ARTICLE_SENTENCES = 50
COMMIT_EVERY = 200


def build_corpus(engine: Engine, owners: list[Owner], passages: int, rng: random.Random) -> list[str]:
    """Store about ``passages`` sentences, every article held by every owner; returns questions."""

    def store(extracted: Extracted) -> int:
        results = [engine.ingest(extracted, owner, commit=False) for owner in owners]
        return results[0].sentences

    stored = 0
    questions: list[str] = []
    pool: list[str] = []
    articles = squad_articles()
    for title, paragraphs, article_questions in articles:
        stored += store(Extracted(title=title, text="\n\n".join(paragraphs)))
        questions += article_questions
        pool += [s.text for s in split_paragraphs(paragraphs)]
    number = 0
    while stored < passages:
        number += 1
        sentences = rng.choices(pool, k=ARTICLE_SENTENCES)
        text = "\n\n".join(sentences)
        stored += store(Extracted(title=f"Mix {number}", text=text))
        if number % COMMIT_EVERY == 0:
            engine.commit()
            print(f"\r{stored:,} passages", end="", file=sys.stderr, flush=True)
    engine.commit()
    print(f"\r{stored:,} passages stored", file=sys.stderr)
    return questions


async def ask_all(api: FakeBotApi, questions: list[tuple[int, str]], *, burst: bool) -> list[float]:
    """Queue the questions (all at once, or each after the previous reply); latencies in s."""
    latencies: list[float] = []
    if burst:
        starts = []
        for chat_id, question in questions:
            starts.append(time.monotonic())
            api.push_message(chat_id, question)
        done = len(api.sent()) + len(questions)
        await api.wait_for("sendMessage", count=done, timeout=600)
        replies = api.sent()[-len(questions):]
        by_chat: dict[int, list[float]] = {}
        for (chat_id, _), start in zip(questions, starts, strict=True):
            by_chat.setdefault(chat_id, []).append(start)
        for reply in replies:
            latencies.append(reply.at - by_chat[reply.chat_id].pop(0))
        return latencies
    for chat_id, question in questions:
        seen = len(api.sent())
        start = time.monotonic()
        api.push_message(chat_id, question)
        [*_, reply] = await api.wait_for("sendMessage", count=seen + 1, timeout=60)
        latencies.append(reply.at - start)
    return latencies


async def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(7)
    api = FakeBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as directory:
        config = BotConfig(
            storage=StorageConfig(path=str(Path(directory) / "bench.db")),
            telegram=TelegramConfig(
                token=api.token, base_url=api.base_url, base_file_url=api.base_file_url,
                messages_per_second=0, group_messages_per_minute=0,
            ),
            # The benchmark's chats ask far faster than a person; the per-chat limit is off.
            limits=BotLimitsConfig(messages_per_minute=0),
        )
        chats = list(range(1, args.chats + 1))
        started = time.monotonic()
        with Engine(config) as engine:
            questions = build_corpus(engine, [Owner.chat(chat) for chat in chats], args.passages, rng)
        print(f"corpus built in {time.monotonic() - started:.0f} s", file=sys.stderr)
        rng.shuffle(questions)

        try:
            async with running_bot(config):
                await ask_all(api, [(1, q) for q in questions[:20]], burst=False)  # warm up
                sequential = await ask_all(
                    api, [(1, q) for q in questions[20 : 20 + args.questions]], burst=False
                )
                batch = questions[20 + args.questions : 20 + 2 * args.questions]
                burst_start = time.monotonic()
                burst = await ask_all(
                    api, [(chats[i % len(chats)], q) for i, q in enumerate(batch)], burst=True
                )
                burst_seconds = time.monotonic() - burst_start
        finally:
            await api.stop()
    if api.violations:
        raise SystemExit(f"the fake API saw invalid messages: {api.violations[:3]}")
    ms = [1000 * value for value in sequential]
    burst_ms = [1000 * value for value in burst]
    return {
        "passages": args.passages,
        "chats": args.chats,
        "sequential": {
            "questions": len(ms),
            "questions_per_second": round(len(ms) / (sum(sequential) or 1), 1),
            "p50_ms": round(percentile(ms, 0.5), 1),
            "p95_ms": round(percentile(ms, 0.95), 1),
        },
        "burst": {
            "questions": len(burst_ms),
            "questions_per_second": round(len(burst_ms) / burst_seconds, 1),
            "p50_ms": round(percentile(burst_ms, 0.5), 1),
            "p95_ms": round(percentile(burst_ms, 0.95), 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--chats", type=int, default=4, help="chats asking in the burst")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
