"""Simulators of the monitoring sources: seeded, time-explicit streams in each system's own format
(`streams`), the heating-main burst (`burst`), and their delivery through the intake or the event
API (`deliver`). The command is `tsur simulate` (tsur/demo/management/commands/simulate.py)."""
