"""What the reporting service's handlers share, typed: its own settings; it needs no context of
its own (its one projection and its queries take everything from the settings and the database)."""

from common.service import Runtime, no_context

from reporting.settings import ReportingSettings

ReportingRuntime = Runtime[ReportingSettings, None]

build_context = no_context
