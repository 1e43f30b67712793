"""Named by ``scheduler_cls``; the fake engine runs its own scheduling loop."""


class Scheduler:  # pragma: no cover - only its import path matters
    pass
