"""Make a large qmail-send multilog directory for the log-tool benchmarks.

    .venv/bin/python bench/logs_generate.py var/bench/send --size 1.1G

A small simulation of qmail-send writes the lines: messages arrive (Poisson), each recipient gets
a ``starting delivery`` and later a result, ``status:`` lines follow every start and result,
deferred recipients are retried on qmail's quadratic schedule until queuelifetime, failures
bounce (``bounce msg`` + a new message from <>; a failing bounce double-bounces to postmaster),
message ids are inodes taken from a free pool and reused, and qmail-send restarts every few
hours (``status: exiting``, delivery numbers start again at 1). The result texts are the ones
in the real captured logs (mailserver/demo/data/logs/send), with addresses, queue ids
and pids varied. ``current`` rotates to ``@<tai64n>.s`` at 16 MB, as ``multilog s16777215`` does.

Every line is written when its event is taken off the simulation's time-ordered queue, so the
stamps never go backwards (multilog stamps lines as it writes them); the writer refuses a line
stamped before the previous one. Deterministic for a given --seed; writes meta.json (first/last
stamp) next to the logs.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import re
from collections import deque
from pathlib import Path

from mailserver.demo.builder import DATA

FIXTURE = DATA / "logs" / "send"
OFFSET = 0x400000000000000A
ROTATE = 16_777_215
QUEUELIFETIME = 604_800
CHANSKIP = {"local": 10, "remote": 20}  # qmail-send's retry schedule: birth + (n * skip)**2

LOCAL_DOMAINS = ["example.test", "mail.example.test", "shop.example.test", "blog.example.test"]
REMOTE_DOMAINS = [
    "sink.example.net",
    "gmail.example.com",
    "yahoo.example.com",
    "corp.example.org",
    "isp.example.net",
]
DEAD_DOMAINS = ["deferred.example.org", "gone.example.info"]
GREYLIST_DOMAINS = ["greylist.example.org"]
REJECT_DOMAINS = ["reject.example.com"]


def fixture_texts() -> dict[str, list[str]]:
    """Result texts of the real logs, grouped by what they mean, with the variable parts as fields."""
    groups: dict[str, list[str]] = {}
    seen = set()
    for path in [*sorted(FIXTURE.glob("@*.s")), FIXTURE / "current"]:
        for line in path.read_text().splitlines():
            m = re.match(r"@\w{24} delivery \d+: (success|deferral|failure): (.*)$", line)
            if not m:
                continue
            text = re.sub(r"queued_as_[0-9.]+", "queued_as_{qid}", m.group(2))
            text = re.sub(r"<[^>]*>", "<{rcpt}>", text)
            text = re.sub(r"qp_\d+", "qp_{qp}", text).replace("127.0.0.1", "{ip}")
            key = _classify(m.group(1), text)
            if (key, text) not in seen:
                seen.add((key, text))
                groups.setdefault(key, []).append(text)
    return groups


def _classify(result: str, text: str) -> str:
    expired = "too_long" in text
    if result == "success":
        return "remote_ok" if "accepted" in text else "local_fwd" if "qp_" in text else "local_ok"
    if "establish" in text:
        return "dead_expired" if expired else "dead"
    if "Greylisted" in text:
        return "grey_expired" if expired else "grey"
    if "maildir" in text:
        return "nomaildir_expired" if expired else "nomaildir"
    if "550" in text:
        return "reject"
    return "bouncesaying" if "no_longer" in text else "nomailbox"


class Writer:
    """multilog: lines into ``current``; at 16 MB it becomes ``@<stamp>.s`` and a new one starts."""

    def __init__(self, directory: Path, rotate: int = ROTATE) -> None:
        self.dir, self.rotate_at = directory, rotate
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in [*list(self.dir.glob("@*.s")), self.dir / "current"]:
            old.unlink(missing_ok=True)
        self.buf: list[str] = []
        self.size = 0
        self.total = 0
        self.handle = (self.dir / "current").open("w")
        self.first = self.last = 0.0

    def line(self, t: float, text: str) -> None:
        if t < self.last:  # multilog stamps lines as it writes them: never back in time
            raise RuntimeError(f"line at {t:.6f} after one at {self.last:.6f}: {text}")
        sec = int(t)
        line = f"@{sec + OFFSET:016x}{int((t - sec) * 1e9):08x} {text}\n"
        if self.size + len(line) > self.rotate_at:
            self.rotate(t)
        self.buf.append(line)
        self.size += len(line)
        self.total += len(line)
        self.first = self.first or t
        self.last = t
        if len(self.buf) > 4096:
            self.handle.write("".join(self.buf))
            self.buf.clear()

    def rotate(self, t: float) -> None:
        self.handle.write("".join(self.buf))
        self.buf.clear()
        self.handle.close()
        sec = int(t)
        (self.dir / "current").rename(self.dir / f"@{sec + OFFSET:016x}{int((t - sec) * 1e9):08x}.s")
        self.handle = (self.dir / "current").open("w")
        self.size = 0

    def close(self) -> None:
        self.handle.write("".join(self.buf))
        self.handle.close()


class Sim:
    def __init__(
        self, out: Writer, rng: random.Random, rate: float, restart_hours: tuple[float, float] = (4, 10)
    ) -> None:
        self.out, self.rng, self.rate = out, rng, rate
        self.restart = restart_hours
        self.texts = fixture_texts()
        self.heap: list[tuple[float, int, str, tuple[object, ...]]] = []
        self.seq = 0
        ids = list(range(1466718, 1466718 + 60000))
        rng.shuffle(ids)
        self.free_ids = deque(ids)
        self.msgs: dict[int, dict[str, object]] = {}
        self.delivery = 0
        self.busy = {"local": 0, "remote": 0}
        self.qp = 30000
        self.stopping = False
        self.users = [f"user{i:03d}" for i in range(400)]

    def at(self, t: float, kind: str, *args: object) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, args))

    def status(self, t: float) -> None:
        self.out.line(t, f"status: local {self.busy['local']}/10 remote {self.busy['remote']}/20")

    def address(self, kind: str) -> str:
        r = self.rng
        if kind == "local":
            return f"{r.choice(self.users)}@{r.choice(LOCAL_DOMAINS)}"
        domain = r.choice(REMOTE_DOMAINS)
        return f"{r.choice(['info', 'sales', 'bob', 'jane', 'support'])}{r.randrange(5000)}@{domain}"

    def arrive(self, t: float, sender: str, rcpts: list[tuple[str, str, str]], uid: int) -> None:
        if not self.free_ids:
            return
        msg = self.free_ids.pop()
        self.qp = self.qp + self.rng.randrange(1, 40)
        if self.qp > 99999:
            self.qp = 300
        size = int(self.rng.lognormvariate(8, 1.2)) + 250
        self.out.line(t, f"new msg {msg}")
        self.out.line(t, f"info msg {msg}: bytes {size} from <{sender}> qp {self.qp} uid {uid}")
        self.msgs[msg] = {"birth": t, "sender": sender, "left": len(rcpts), "failed": False}
        for i, (channel, rcpt, fate) in enumerate(rcpts):
            self.at(t + 0.0005 * (i + 1), "start", msg, channel, rcpt, fate, 0)

    def new_mail(self, t: float) -> None:
        r = self.rng
        outbound = r.random() < 0.45
        sender = self.address("local") if outbound else self.address("remote")
        uid = r.choice([1010, 1011, 48, 33]) if outbound else 1002  # 48/33: apache / www-data (webmail)
        rcpts = []
        for _ in range(1 if r.random() < 0.8 else r.randrange(2, 6)):
            x = r.random()
            if not outbound or x < 0.15:
                rcpt = self.address("local")
                fate = (
                    "nomailbox"
                    if x < 0.02
                    else "nomaildir"
                    if x < 0.025
                    else "local_fwd"
                    if x < 0.1
                    else "local_ok"
                )
                rcpts.append(("local", rcpt, fate))
            elif x < 0.17:
                rcpts.append(("remote", f"client{r.randrange(300)}@{r.choice(DEAD_DOMAINS)}", "dead"))
            elif x < 0.22:
                rcpts.append(("remote", f"sales{r.randrange(50)}@{GREYLIST_DOMAINS[0]}", "grey"))
            elif x < 0.24:
                rcpts.append(("remote", f"gone{r.randrange(99)}@{REJECT_DOMAINS[0]}", "reject"))
            else:
                rcpts.append(("remote", self.address("remote"), "remote_ok"))
        self.arrive(t, sender, rcpts, uid)

    def start(self, t: float, msg: int, channel: str, rcpt: str, fate: str, tries: int) -> None:
        if self.stopping or msg not in self.msgs:
            self.at(t + 30, "start", msg, channel, rcpt, fate, tries)
            return
        self.delivery += 1
        self.busy[channel] += 1
        self.out.line(t, f"starting delivery {self.delivery}: msg {msg} to {channel} {rcpt}")
        self.status(t)
        took = self.rng.uniform(0.005, 0.08) if channel == "local" else self.rng.uniform(0.05, 3.0)
        self.at(t + took, "result", self.delivery, msg, channel, rcpt, fate, tries)

    def result(self, t: float, number: int, msg: int, channel: str, rcpt: str, fate: str, tries: int) -> None:
        info = self.msgs[msg]
        birth = float(info["birth"])  # type: ignore[arg-type]
        expired = t - birth > QUEUELIFETIME
        if fate == "grey" and tries >= self.rng.randrange(1, 3):
            fate = "remote_ok"
        outcome = {
            "local_ok": "success",
            "local_fwd": "success",
            "remote_ok": "success",
            "nomailbox": "failure",
            "reject": "failure",
        }.get(fate, "deferral")
        key = fate
        if outcome == "deferral" and expired:
            outcome, key = "failure", fate + "_expired"
        text = self.rng.choice(self.texts[key]).format(
            rcpt=rcpt,
            qid=f"{self.rng.randrange(10**12, 10**13)}.{self.rng.randrange(99999)}",
            qp=self.rng.randrange(300, 99999),
            ip=f"192.0.2.{self.rng.randrange(1, 255)}",
        )
        self.busy[channel] -= 1
        self.out.line(t, f"delivery {number}: {outcome}: {text}")
        self.status(t)
        if outcome == "deferral":
            n = tries + 1
            retry = birth + (n * CHANSKIP[channel]) ** 2
            self.at(max(retry, t + 1), "start", msg, channel, rcpt, fate, n)
            return
        info["failed"] = bool(info["failed"]) or outcome == "failure"
        info["left"] = int(info["left"]) - 1  # type: ignore[call-overload]
        if info["left"] == 0:
            self.at(t + 0.0003, "finish", msg)

    def finish(self, t: float, msg: int) -> None:
        info = self.msgs.pop(msg)
        if info["failed"]:
            sender = str(info["sender"])
            self.qp += 1
            if sender == "#@[]":
                self.out.line(t, f"triple bounce: discarding bounce/{msg}")
            else:
                self.out.line(t, f"bounce msg {msg} qp {self.qp}")
            if sender == "#@[]":
                pass
            elif sender:
                local = sender.rpartition("@")[2] in LOCAL_DOMAINS
                fate = "local_ok" if local else ("remote_ok" if self.rng.random() < 0.7 else "reject")
                channel = "local" if local else "remote"
                self.at(t + 0.001, "bounce", "", [(channel, sender, fate)], 1007)
            else:
                self.at(
                    t + 0.001, "bounce", "#@[]", [("local", "postmaster@mail.example.test", "local_ok")], 1007
                )
        self.at(t + 0.0001, "end", msg)

    def end(self, t: float, msg: int) -> None:
        self.out.line(t, f"end msg {msg}")
        self.free_ids.appendleft(msg)  # the inode is free again; reused after the others

    def run(self, start: float, target: int) -> None:
        t = start
        self.out.line(t, "status: local 0/10 remote 0/20")
        self.at(t + self.rng.expovariate(self.rate), "arrival")
        self.at(t + self.rng.uniform(*self.restart) * 3600, "stop")
        while self.out.total < target:
            t, _, kind, args = heapq.heappop(self.heap)
            if kind == "arrival":
                if not self.stopping:
                    self.new_mail(t)
                self.at(t + self.rng.expovariate(self.rate), "arrival")
            elif kind == "start":
                self.start(t, *args)  # type: ignore[arg-type]
            elif kind == "result":
                self.result(t, *args)  # type: ignore[arg-type]
                if self.stopping and not any(self.busy.values()):
                    self.at(t + 0.01, "exiting")
            elif kind == "finish":
                self.finish(t, *args)  # type: ignore[arg-type]
            elif kind == "end":
                self.end(t, *args)  # type: ignore[arg-type]
            elif kind == "exiting":
                self.out.line(t, "status: exiting")
                self.at(t + self.rng.uniform(1, 8), "restart")
            elif kind == "bounce":
                self.arrive(t, *args)  # type: ignore[arg-type]
            elif kind == "stop":
                self.stopping = True
                if not any(self.busy.values()):
                    self.out.line(t, "status: exiting")
                    self.at(t + self.rng.uniform(1, 8), "restart")
            elif kind == "restart":
                self.stopping, self.delivery = False, 0
                self.status(t)
                self.at(t + self.rng.uniform(*self.restart) * 3600, "stop")


def parse_size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.strip().lower()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--size", default="1.1G", help="total bytes to write (default 1.1G)")
    parser.add_argument("--rate", type=float, default=6.0, help="new messages per second")
    parser.add_argument("--start", type=float, default=1795000000.0, help="epoch of the first line")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--rotate", default=str(ROTATE), help="bytes at which current rotates (multilog s)")
    parser.add_argument(
        "--restart-hours", default="4,10", help="qmail-send restarts every MIN,MAX hours (default 4,10)"
    )
    args = parser.parse_args()
    out = Writer(args.directory, parse_size(args.rotate))
    low, high = (float(v) for v in args.restart_hours.split(","))
    Sim(out, random.Random(args.seed), args.rate, (low, high)).run(args.start, parse_size(args.size))
    out.close()
    meta = {
        "first": out.first,
        "last": out.last,
        "bytes": out.total,
        "files": len(list(args.directory.iterdir())),
    }
    (args.directory.parent / f"{args.directory.name}.meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
