"""The assignment's way of running snippets, for comparison with dagrun's eval pool.

Runs N trivial snippets with exec() in threads through asyncio's loop.run_in_executor, as the
original Python program does, and prints the wall time in milliseconds as JSON:
{"tasks": N, "ms": T}.
"""

import asyncio
import json
import sys
import time


def run_snippet(code: str) -> None:
    exec(code, {})


async def main(count: int) -> float:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    await asyncio.gather(
        *(loop.run_in_executor(None, run_snippet, "1 + 1") for _ in range(count))
    )
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps({"tasks": count, "ms": asyncio.run(main(count))}))
