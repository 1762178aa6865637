"""What the fuzzer reached: per operation and per run, how many calls were made and how many got a 2xx."""

from __future__ import annotations

from collections import Counter, defaultdict


class Tally:
    def __init__(self):
        self.calls: dict[str, Counter] = defaultdict(Counter)      # run -> operation -> calls
        self.successes: dict[str, Counter] = defaultdict(Counter)  # run -> operation -> 2xx answers
        self.statuses: dict[str, Counter] = defaultdict(Counter)   # run -> status code -> answers

    def record(self, run: str, operation: str, status: int) -> None:
        self.calls[run][operation] += 1
        self.statuses[run][status] += 1
        if 200 <= status < 300:
            self.successes[run][operation] += 1

    def unreached(self, run: str, operations) -> list[str]:
        """Operations of ``operations`` that got no 2xx in ``run``."""
        return sorted(op for op in operations if not self.successes[run][op])

    def report(self, operations) -> str:
        """One line per operation, one "2xx/calls" column per run, then the status codes per run."""
        runs = [run for run in self.calls if sum(self.calls[run].values())]
        if not runs:
            return "fuzz: no calls recorded"
        width = max(len(op) for op in operations)
        head = f"{'operation':<{width}}  " + "  ".join(f"{run:>17}" for run in runs)
        lines = ["Fuzzing: 2xx answers / calls per operation", head, "-" * len(head)]
        for op in sorted(operations):
            cells = [f"{self.successes[run][op]:>8}/{self.calls[run][op]:<8}" for run in runs]
            lines.append(f"{op:<{width}}  " + "  ".join(cells))
        for run in runs:
            total, ok = sum(self.calls[run].values()), sum(self.successes[run].values())
            codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses[run].items()))
            lines.append(f"{run}: {ok} 2xx of {total} calls; status codes {codes}")
        return "\n".join(lines)
