"""The normalised CI model every CI system is read into: pipelines, jobs, steps, triggers.

Parsers of each CI system (one small module each) fill this model; the CI detector reasons
only over it, so a rule such as "a scheduled job runs drift code" is written once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Normalised trigger names.
PUSH = "push"
PULL_REQUEST = "pull_request"
TAG = "tag"
RELEASE = "release"
SCHEDULE = "schedule"
MANUAL = "manual"
WORKFLOW_CALL = "workflow_call"
WORKFLOW_RUN = "workflow_run"
REPOSITORY_DISPATCH = "repository_dispatch"

#: triggers that start a job without a person pressing a button.
AUTOMATIC = frozenset({PUSH, TAG, RELEASE, SCHEDULE, WORKFLOW_CALL, WORKFLOW_RUN, REPOSITORY_DISPATCH})
#: triggers that mean "on merge, tag or release" for continuous deployment.
DELIVERY = frozenset({PUSH, TAG, RELEASE, WORKFLOW_CALL, WORKFLOW_RUN, REPOSITORY_DISPATCH})

_PRODUCTION = re.compile(r"(?<![a-z])(prod|production|prd|live)(?![a-z])", re.I)


def production_like(name: str | None) -> bool:
    """True for environment names such as ``production``, ``prod-eu``, ``live``."""
    return bool(name) and bool(_PRODUCTION.search(str(name)))


@dataclass(frozen=True)
class Step:
    """One step of a job: shell commands, an action/task/plugin, or both."""

    line: int | None
    name: str = ""
    run: str = ""
    """Shell commands, as written (comment lines are dropped when classified)."""
    uses: str = ""
    """Action, task, orb, plugin or builder image the step invokes."""
    args: str = ""
    """Arguments given to ``uses`` (action inputs, task inputs, builder args), flattened."""
    neutered: bool = False
    """The step cannot fail the job or never runs (continue-on-error, if: false...)."""
    gate: bool = False
    """The step waits for a person (Jenkins input, Buildkite block, ManualValidation)."""
    workdir: str = ""
    """Folder the commands run in, where task-runner files are looked up first."""
    file: str = ""
    """File the step is written in when it is not the job's (an included template)."""
    include: str = ""
    """Template or local action the step stands for, as written; discovery adds its steps after it."""
    inputs: tuple[tuple[str, str], ...] = ()
    """Values the step hands to a local action or reusable workflow (GitHub ``with:`` scalars)."""


@dataclass(frozen=True)
class Job:
    """One job of a pipeline, with what starts it and what it runs."""

    file: str
    system: str
    name: str
    line: int | None
    triggers: frozenset[str]
    steps: tuple[Step, ...] = ()
    environment: str | None = None
    manual: bool = False
    """The job waits for a person to start it (GitLab when: manual, approval job, block)."""
    neutered: bool = False
    """The whole job cannot fail the pipeline or never runs."""
    needs: tuple[str, ...] = ()
    runner: str = ""
    """Where the job runs (GitHub's ``runs-on`` labels), when the file says."""

    @property
    def production(self) -> bool:
        """The job deploys to an environment whose name looks like production."""
        return production_like(self.environment)


@dataclass(frozen=True)
class Pipeline:
    """One CI file, read into jobs (``error`` says why it could not be read)."""

    file: str
    system: str
    jobs: tuple[Job, ...] = ()
    error: str | None = None
    called_workflows: tuple[tuple[str, frozenset[str], tuple[tuple[str, str], ...]], ...] = field(default=())
    """(local reusable workflow path, triggers of the caller, inputs it hands on) for GitHub
    ``jobs.x.uses``."""
    input_defaults: tuple[tuple[str, str], ...] = ()
    """Defaults of the inputs a workflow takes (GitHub ``workflow_call``/``workflow_dispatch``)."""
    ci: bool = True
    """False for an orchestrator's job definitions (Databricks jobs): they count for schedules and
    data pipelines, not as CI."""
