"""`lrquiz problems pool`: generate fresh variants ahead, now, and show what is ready.

A bot fills its pools in the background; a terminal-only install (or an operator before a
busy day) fills them with this, and the next adaptive runs pick from them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

NO_RUNNER = "lrquiz: problems pool needs a runner (pip install 'lrquiz[runner]', or --runner URL)"


def pool_command(args: argparse.Namespace) -> int:
    return asyncio.run(_pool(args))


async def _pool(args: argparse.Namespace) -> int:
    from bot.bootstrap import open_runner, open_service
    from storage.variants import unused_counts

    service = await open_service(args.db)
    try:
        bank = service.variants
        if args.size:
            bank.pool_size = args.size
            async with open_runner(args.runner) as runner:
                if runner is None:
                    print(NO_RUNNER, file=sys.stderr)
                    return 1
                bank.use_runner(runner)
                try:
                    made = await bank.refill()
                except Exception as exc:  # the runner's own one-line reason
                    print(f"lrquiz: problems pool: the runner failed ({exc})", file=sys.stderr)
                    return 1
            print(f"{made} new variant{'s' if made != 1 else ''} stored")
        for pack in service.packs.values():
            counts = await service.db.run(lambda conn, p=pack: unused_counts(conn, p.id))
            print(f"Pack {pack.id}: {sum(counts.values())} unused variants")
            for template in pack.templates:
                print(f"  {template.id:<32} {counts.get(template.id, 0):>3}")
    finally:
        await service.db.close()
    return 0
