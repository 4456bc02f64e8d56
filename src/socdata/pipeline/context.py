"""One run context: the settings of a ``socdata reproduce`` run, resolved once.

The data folder is classified (bundled synthetic or real), the disclosure rule set and the
swimmer-plot choice are fixed, and the version and start time are stamped, all in
:meth:`RunContext.resolve`.  The pipeline hands the resolved context to every notebook as
one parameter (``run_context``, a plain mapping written into the executed
notebook), and the notebook rebuilds it with :meth:`RunContext.for_notebook` without
resolving anything again.  No environment variable carries a setting.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from socdata.errors import SocdataError
from socdata.io.options import ReadOptions, set_read_options
from socdata.paths import synthetic_dir
from socdata.provenance import package_version
from socdata.report.disclosure import (
    DEFAULT_RULE_SET,
    DisclosureOffWarning,
    RuleSet,
    get_rule_set,
)
from socdata.report.synthetic import DataKind, data_kind

__all__ = ["POLICE_KINDS", "ReproduceError", "RunContext"]

#: Extract kinds the police person-month panel is built from (:meth:`RunContext.police_panel`).
POLICE_KINDS = ("police_persons", "police_events", "police_missing")


class ReproduceError(SocdataError):
    """``socdata reproduce`` cannot start (bad folder, unknown option, no kernel)."""


#: Mapping key that marks a serialised context (and its layout version).
_LAYOUT = "socdata.run_context/1"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _rules(disclosure: str | RuleSet | None, synthetic: bool) -> RuleSet:
    if isinstance(disclosure, RuleSet):
        return disclosure
    name = "auto" if disclosure is None else str(disclosure).strip()
    if name == "auto":
        return get_rule_set("none") if synthetic else DEFAULT_RULE_SET
    try:
        return get_rule_set(name)
    except SocdataError as exc:
        raise ReproduceError(str(exc)) from None


def _swimmers(choice: bool | str, synthetic: bool) -> bool:
    text = str(choice).strip().lower()
    if text == "auto":
        return synthetic
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ReproduceError(f"swimmer_plots must be 'auto', True or False, not {choice!r}")


@dataclasses.dataclass(frozen=True)
class RunContext:
    """The settings of one run, resolved once and shared by every step and notebook.

    Attributes
    ----------
    data_dir
        Folder of the extracts (absolute).
    out_dir
        Output folder (absolute).
    synthetic
        Whether ``data_dir`` holds the unmodified bundled synthetic extracts.
    data_reason
        Why the data were classed synthetic or real.
    rules
        Disclosure rule set every table is written under.
    swimmer_plots
        Whether notebooks draw swimmer plots (one bar per young person).
    version
        socdata version that ran (printed in every output).
    started
        UTC start time, ISO 8601.
    read_options
        Column maps and sheets by extract kind (``--column-map``, ``--sheet``); a notebook's
        context makes them the active options of its kernel, so its
        ``socdata.read_extract(folder, kind)`` reads with them.
    validation_file
        Where ``socdata reproduce`` left the validation it did before the notebooks (the
        counts of :func:`socdata.report.validation_summary`, in the run's private temporary
        folder), so that :meth:`validation_summary` in a notebook does not validate every
        extract again; ``None`` when the notebook runs on its own.
    """

    data_dir: Path
    out_dir: Path
    synthetic: bool
    data_reason: str
    rules: RuleSet
    swimmer_plots: bool
    version: str
    started: str
    read_options: ReadOptions = dataclasses.field(default_factory=ReadOptions)
    validation_file: Path | None = None

    @classmethod
    def resolve(
        cls,
        data_dir: str | Path | None = None,
        out_dir: str | Path = "out",
        *,
        disclosure: str | RuleSet = "auto",
        swimmer_plots: bool | str = "auto",
        warn: bool = True,
        read_options: ReadOptions | None = None,
    ) -> RunContext:
        """Classify the data folder and fix every setting of the run.

        Parameters
        ----------
        data_dir
            Folder of extracts; ``None`` means the bundled synthetic extracts.
        out_dir
            Output folder (need not exist yet).
        disclosure
            ``"auto"`` (``none`` on the bundled synthetic extracts, ``soceis-default-v1``
            otherwise), a rule set name or a :class:`~socdata.report.disclosure.RuleSet`.
        swimmer_plots
            ``"auto"`` (on synthetic data only), ``True`` or ``False``.
        warn
            Emit :class:`~socdata.report.disclosure.DisclosureOffWarning` when control is
            off on data that are not the bundled synthetic extracts.
        read_options
            Column maps and sheets by extract kind.

        Raises
        ------
        ReproduceError
            The data folder does not exist, or an option is unknown.
        """
        data_path = Path(data_dir) if data_dir is not None else synthetic_dir()
        if not data_path.is_dir():
            raise ReproduceError(
                f"data folder {data_path} does not exist; pass --data with the folder that "
                "holds service.csv etc., or leave it out to use the bundled synthetic extracts"
            )
        kind = data_kind(data_path)
        ctx = cls(
            data_dir=data_path.resolve(),
            out_dir=Path(out_dir).resolve(),
            synthetic=kind.synthetic,
            data_reason=kind.reason,
            rules=_rules(disclosure, kind.synthetic),
            swimmer_plots=_swimmers(swimmer_plots, kind.synthetic),
            version=package_version(),
            started=_now(),
            read_options=read_options or ReadOptions(),
        )
        if warn and ctx.disclosure_off_on_real:
            warnings.warn(ctx.disclosure_off_message, DisclosureOffWarning, stacklevel=2)
        return ctx

    @property
    def kind(self) -> DataKind:
        """The data classification as a :class:`~socdata.report.synthetic.DataKind`."""
        return DataKind(synthetic=self.synthetic, reason=self.data_reason)

    @property
    def label(self) -> str:
        """``"bundled synthetic"`` or ``"real"``."""
        return "bundled synthetic" if self.synthetic else "real"

    @property
    def disclosure_off_on_real(self) -> bool:
        """Whether disclosure control is off on data that are not the synthetic extracts."""
        return not self.rules.enabled and not self.synthetic

    @property
    def disclosure_off_message(self) -> str:
        """The warning printed when :attr:`disclosure_off_on_real`."""
        return (
            "DISCLOSURE CONTROL IS OFF on data that are not the bundled synthetic extracts: "
            "outputs may identify people; do not share them outside the secure environment"
        )

    def validation_summary(self) -> Any:
        """:func:`socdata.report.validation_summary` of :attr:`data_dir` under this run.

        Under ``socdata reproduce`` the validation the pipeline did before the notebooks
        (:attr:`validation_file`) is read back; run on its own, the notebook validates here.
        """
        if self.validation_file is not None and self.validation_file.is_file():
            import pickle

            # written by this run's own process, in its private (0700) temporary folder
            with self.validation_file.open("rb") as fh:
                return pickle.load(fh)
        from socdata.report.validation import validation_summary

        return validation_summary(self.data_dir, read_options=self.read_options)

    def with_validation(self, summary: Any, folder: Path) -> RunContext:
        """This context, with ``summary`` (a validation of :attr:`data_dir`) saved in
        ``folder`` (private to the run) for :meth:`validation_summary`."""
        import pickle

        path = Path(folder) / "validation_summary.pickle"
        with path.open("wb") as fh:
            pickle.dump(summary, fh)
        return dataclasses.replace(self, validation_file=path)

    def read_extract(self, kind: str, **kwargs: Any) -> Any:
        """:func:`socdata.read_extract` of ``kind`` in :attr:`data_dir`, read once per kernel.

        The notebooks of a run share one kernel; the first that asks for an extract reads
        and validates it, the next get a copy (:func:`socdata.pipeline.shared.shared`).
        ``kwargs`` go to :func:`socdata.read_extract`; the run's :attr:`read_options` apply.
        """
        from socdata.pipeline.shared import read_extract_once

        return read_extract_once(
            self.data_dir, kind, read_options=self.read_options.to_mapping(), **kwargs
        )

    def police_panel(self) -> Any:
        """The person-month panel of the police extracts, built once per kernel.

        :func:`socdata.derive.panel.person_month_panel` of :meth:`read_extract` of
        ``police_persons``, ``police_events`` and ``police_missing`` with its defaults
        (validated against its schema); notebooks 20, 30 and 40 share it.
        """
        from socdata.io import find_extract
        from socdata.pipeline.shared import file_key, shared

        kinds = POLICE_KINDS

        def build() -> Any:
            from socdata.derive.panel import person_month_panel

            return person_month_panel(*(self.read_extract(k) for k in kinds))

        key = (
            "police_panel",
            *(file_key(find_extract(self.data_dir, k)) for k in kinds),
            repr(self.read_options.to_mapping()),
        )
        return shared(key, build)

    def describe(self) -> str:
        """One line for a notebook's first output."""
        return (
            f"socdata {self.version}; data: {self.data_dir} ({self.label}); "
            f"disclosure: {self.rules.describe()}"
        )

    def to_mapping(self) -> dict[str, Any]:
        """JSON-friendly mapping (what the pipeline passes to each notebook)."""
        return {
            "layout": _LAYOUT,
            "data_dir": str(self.data_dir),
            "out_dir": str(self.out_dir),
            "synthetic": self.synthetic,
            "data_reason": self.data_reason,
            "rules": dataclasses.asdict(self.rules),
            "swimmer_plots": self.swimmer_plots,
            "version": self.version,
            "started": self.started,
            "read_options": self.read_options.to_mapping(),
            "validation_file": None if self.validation_file is None else str(self.validation_file),
        }

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> RunContext:
        """Rebuild a context from :meth:`to_mapping` without resolving anything again."""
        if mapping.get("layout") != _LAYOUT:
            raise ReproduceError(
                f"run_context is not a socdata run context (layout {mapping.get('layout')!r}, "
                f"expected {_LAYOUT!r}); leave run_context = None to resolve the settings here"
            )
        return cls(
            data_dir=Path(mapping["data_dir"]),
            out_dir=Path(mapping["out_dir"]),
            synthetic=bool(mapping["synthetic"]),
            data_reason=str(mapping["data_reason"]),
            rules=RuleSet(**mapping["rules"]),
            swimmer_plots=bool(mapping["swimmer_plots"]),
            version=str(mapping["version"]),
            started=str(mapping["started"]),
            read_options=ReadOptions.from_mapping(mapping.get("read_options")),
            validation_file=(
                Path(mapping["validation_file"]) if mapping.get("validation_file") else None
            ),
        )

    @classmethod
    def for_notebook(
        cls,
        run_context: Mapping[str, Any] | RunContext | None = None,
        *,
        data_dir: str | Path | None = None,
        out_dir: str | Path = "out",
        disclosure: str | RuleSet = "auto",
        swimmer_plots: bool | str = "auto",
    ) -> RunContext:
        """The context a notebook runs under.

        Under ``socdata reproduce`` the notebook receives ``run_context`` (the mapping of
        the context the pipeline resolved) and the other arguments are ignored.  Run on
        its own (``run_context = None``), the notebook's parameters are resolved here, once,
        as :meth:`resolve` would.
        """
        if isinstance(run_context, RunContext):
            ctx = run_context
        elif run_context is not None:
            ctx = cls.from_mapping(run_context)
        else:
            ctx = cls.resolve(data_dir, out_dir, disclosure=disclosure, swimmer_plots=swimmer_plots)
        set_read_options(ctx.read_options)  # this kernel's read_extract uses them
        return ctx
