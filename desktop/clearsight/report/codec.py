"""The typed diagnosis in a report's JSON, and back: the one place where it is written and read.

``build_report`` writes the diagnosis's parts with the ``*_json`` functions (the report's
``services``, ``findings``, ``network`` and ``vpn`` sections, schema
``clearsight-report/1``); :func:`diagnosis_from_report` reads them back. A report of the
current :data:`~clearsight.diagnosis.model.DIAGNOSIS_VERSION` reads back to a result equal
to the one it was written from; any other report (older rules, or damaged) gives None, and
its observations are diagnosed again.

Evidence, the network and the VPN servers are plain data: their dataclass fields are the
report's keys, written in field order (tuples as lists), and read back by their type hints.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from typing import Literal, TypeAlias, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from clearsight.diagnosis.model import (
    DIAGNOSIS_VERSION,
    AddressEvidence,
    Diagnosis,
    EgressSummary,
    Finding,
    InterfaceSummary,
    Layers,
    NetworkSummary,
    Params,
    ParamValue,
    ProxySummary,
    ServiceEvidence,
    ServiceVerdict,
    UrlEvidence,
    VpnEndpointResult,
    VpnSummary,
)
from clearsight.diagnosis.vocabulary import (
    FINDING_CODES,
    SERVICE_PATHS,
    SEVERITIES,
    STATUSES,
    VERDICTS,
    VPN_STATES,
)

# What JSON holds.
JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject = dict[str, JsonValue]

T = TypeVar("T")

# Fields written only when they hold something (the report leaves the key out otherwise).
_OMITTED_WHEN_NONE: frozenset[tuple[type, str]] = frozenset(
    {
        (AddressEvidence, "tls_control"),
        (AddressEvidence, "tls"),
        (AddressEvidence, "http"),
        (UrlEvidence, "reference_addresses"),
        # A redirect's way (diagnosis/redirect_rules.py): only where one was followed.
        (UrlEvidence, "way"),
        (UrlEvidence, "redirects"),
        (UrlEvidence, "way_end"),
        (UrlEvidence, "redirected_to"),
        (UrlEvidence, "redirected_from"),
        (UrlEvidence, "decided_by_hop"),
        (ServiceEvidence, "redirected_to"),
        (ServiceEvidence, "via_proxy_redirected_to"),
    }
)
# Fields left out when None only while another field of theirs is None too (a way that
# arrived says ``"way_end": null`` beside its ``way``).
_WRITTEN_WITH: Mapping[tuple[type, str], str] = {
    (UrlEvidence, "way_end"): "way",
}


class CodecError(ValueError):
    """A report's diagnosis that does not read as one of this version."""


# --------------------------------------------------------------------------- writing
def data_json(value: object) -> JsonValue:
    """A plain-data dataclass (or a value inside one) as JSON: fields in order, tuples as
    lists; fields in ``_OMITTED_WHEN_NONE`` left out when None."""
    if is_dataclass(value) and not isinstance(value, type):
        out: JsonObject = {}
        for item in fields(value):
            inner = getattr(value, item.name)
            key = (type(value), item.name)
            if inner is None and key in _OMITTED_WHEN_NONE:
                companion = _WRITTEN_WITH.get(key)
                if companion is None or getattr(value, companion) is None:
                    continue
            out[item.name] = data_json(inner)
        return out
    if isinstance(value, tuple | list):
        return [data_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): data_json(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"not plain data: {type(value).__name__}")


def evidence_json(evidence: ServiceEvidence) -> JsonObject:
    """A service's evidence (the report's ``services[].evidence``)."""
    return cast(JsonObject, data_json(evidence))


def params_json(params: Params) -> JsonObject:
    return {key: list(value) if isinstance(value, list) else value for key, value in params.items()}


def service_json(service: ServiceVerdict) -> JsonObject:
    """A service's verdict, without its texts and names in other languages (``build_report``
    adds those)."""
    return {
        "id": service.id,
        "name": service.name,
        "group": service.group,
        "domestic": service.domestic,
        "path": service.path,
        "verdict": service.verdict,
        "advice_verdict": service.advice_verdict,
        "reason": service.reason,
        "via_proxy": service.via_proxy,
        "layers": cast(JsonObject, data_json(service.layers)),
        "evidence": evidence_json(service.evidence),
        "elapsed_ms": service.elapsed_ms,
        "params": dict(service.params),
    }


def finding_json(finding: Finding) -> JsonObject:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "subjects": list(finding.subjects),
        "params": params_json(finding.params),
    }


def proxy_json(proxy: ProxySummary) -> JsonObject:
    out: JsonObject = {
        "source": proxy.source,
        "mode": proxy.mode,
        "http": proxy.http,
        "https": proxy.https,
        "socks": proxy.socks,
        "pac_url": proxy.pac_url,
        "bypass": list(proxy.bypass),
    }
    if proxy.auto_config:
        out["pac_status"] = proxy.pac_status
        out["pac_failure"] = proxy.pac_failure
    if proxy.exit_measured:
        out["exit_country"] = proxy.exit_country
    return out


def network_json(network: NetworkSummary) -> JsonObject:
    """The report's ``network`` section."""
    return {
        "interfaces": data_json(network.interfaces),
        "egress": data_json(network.egress),
        "resolvers": list(network.resolvers),
        "public_ip": network.public_ip,
        "exit_country": network.exit_country,
        "proxy": None if network.proxy is None else proxy_json(network.proxy),
        "ipv6_route": network.ipv6_route,
        "private_egress": network.private_egress,
    }


def vpn_json(vpn: VpnSummary) -> JsonObject:
    """The diagnosis's part of the report's ``vpn`` section (``build_report`` adds the
    clients seen running and each server's ``detail`` in words)."""
    return {
        "active": vpn.active,
        "interface": vpn.interface,
        "endpoints": [cast(JsonObject, data_json(e)) for e in vpn.endpoints],
        "state": vpn.state,
        "tunnels": list(vpn.tunnels),
        "carrying": list(vpn.carrying),
    }


# --------------------------------------------------------------------------- reading
def diagnosis_from_report(report: Mapping[str, object]) -> Diagnosis | None:
    """The typed diagnosis a report holds, when the current rules wrote it; None otherwise
    (an older version, or anything damaged): then diagnose its observations again."""
    if report.get("diagnosis_version") != DIAGNOSIS_VERSION:
        return None
    try:
        return read_diagnosis(report)
    except (CodecError, TypeError, ValueError, KeyError):
        return None


def read_diagnosis(report: Mapping[str, object]) -> Diagnosis:
    """The typed diagnosis of a report (raises CodecError when it is not one)."""
    summary = _object(report.get("summary"))
    vpn = _object(report.get("vpn"))
    return Diagnosis(
        status=_literal(summary.get("status"), STATUSES),
        services=tuple(read_service(s) for s in _list(report.get("services"))),
        findings=tuple(read_finding(f) for f in _list(report.get("findings"))),
        network=read_network(report.get("network")),
        version=_str(report.get("diagnosis_version")),
        # A section without a state was made up from the findings (no VPN was looked at).
        vpn=read_vpn(vpn) if "state" in vpn else None,
    )


def read_service(value: object) -> ServiceVerdict:
    data = _object(value)
    params = _object(data.get("params"))
    via_proxy = data.get("via_proxy")
    elapsed = data.get("elapsed_ms")
    if "reason" not in data:
        raise CodecError("no reason")
    reason = data.get("reason")
    return ServiceVerdict(
        id=_str(data.get("id")),
        # ``name`` is said in the report's language; the rules' own is the texts' param.
        name=_str(params.get("service")),
        group=_str(data.get("group")),
        domestic=_bool(data.get("domestic")),
        verdict=_literal(data.get("verdict"), VERDICTS),
        advice_verdict=_literal(data.get("advice_verdict"), VERDICTS),
        layers=read_data(Layers, data.get("layers")),
        evidence=read_data(ServiceEvidence, data.get("evidence")),
        path=_literal(data.get("path"), SERVICE_PATHS),
        via_proxy=None if via_proxy is None else _literal(via_proxy, VERDICTS),
        reason=None if reason is None else _str(reason),
        elapsed_ms=None if elapsed is None else _number(elapsed),
    )


def read_finding(value: object) -> Finding:
    data = _object(value)
    return Finding(
        code=_literal(data.get("code"), FINDING_CODES),
        severity=_literal(data.get("severity"), SEVERITIES),
        subjects=tuple(_str(s) for s in _list(data.get("subjects"))),
        params=read_params(data.get("params")),
    )


def read_params(value: object) -> dict[str, ParamValue]:
    out: dict[str, ParamValue] = {}
    for key, item in _object(value).items():
        if isinstance(item, list):
            out[key] = [_str(v) for v in item]
        elif item is None or isinstance(item, str | int | float | bool):
            out[key] = item
        else:
            raise CodecError(f"param {key!r}: {type(item).__name__}")
    return out


def read_proxy(value: object) -> ProxySummary | None:
    if value is None:
        return None
    data = _object(value)
    base = read_data(ProxySummary, {k: data[k] for k in _PROXY_KEYS if k in data})
    auto = "pac_status" in data or "pac_failure" in data
    pac_status = data.get("pac_status")
    pac_failure = data.get("pac_failure")
    exit_country = data.get("exit_country")
    return ProxySummary(
        source=base.source,
        mode=base.mode,
        http=base.http,
        https=base.https,
        socks=base.socks,
        pac_url=base.pac_url,
        bypass=base.bypass,
        pac_status=None if pac_status is None else _int(pac_status),
        pac_failure=None if pac_failure is None else _str(pac_failure),
        auto_config=auto,
        exit_country=None if exit_country is None else _str(exit_country),
        exit_measured="exit_country" in data,
    )


_PROXY_KEYS = ("source", "mode", "http", "https", "socks", "pac_url", "bypass")


def read_network(value: object) -> NetworkSummary:
    data = _object(value)
    return NetworkSummary(
        interfaces=tuple(read_data(InterfaceSummary, i) for i in _list(data.get("interfaces"))),
        egress=read_data(EgressSummary, data.get("egress")),
        resolvers=tuple(_str(r) for r in _list(data.get("resolvers"))),
        public_ip=_opt_str(data.get("public_ip")),
        exit_country=_opt_str(data.get("exit_country")),
        proxy=read_proxy(data.get("proxy")),
        ipv6_route=_bool(data.get("ipv6_route")),
        private_egress=_bool(data.get("private_egress")),
    )


def read_vpn(value: object) -> VpnSummary:
    data = _object(value)
    state = data.get("state")
    return VpnSummary(
        state=None if state is None else _literal(state, VPN_STATES),
        interface=_opt_str(data.get("interface")),
        tunnels=tuple(_str(t) for t in _list(data.get("tunnels"))),
        carrying=tuple(_str(t) for t in _list(data.get("carrying"))),
        # ``detail`` is the report's words for ``reason``, added with the texts.
        endpoints=tuple(
            read_data(VpnEndpointResult, {k: v for k, v in _object(e).items() if k != "detail"})
            for e in _list(data.get("endpoints"))
        ),
    )


def read_data(cls: type[T], value: object) -> T:
    """A plain-data dataclass from its JSON (the inverse of :func:`data_json`): every key
    a field, every value of the field's type; a key missing only where it is left out
    when None, or where the field has a default."""
    return cast(T, _read(cls, value, cls.__name__))


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    return get_type_hints(cls)


def _read(tp: object, value: object, where: str) -> object:
    origin = get_origin(tp)
    if isinstance(tp, type) and is_dataclass(tp):
        data = _object(value, where)
        hints = _hints(tp)
        known = {f.name for f in fields(tp)}
        unknown = set(data) - known
        if unknown:
            raise CodecError(f"{where}: unknown keys {sorted(unknown)}")
        kwargs: dict[str, object] = {}
        for item in fields(tp):
            if item.name in data:
                kwargs[item.name] = _read(hints[item.name], data[item.name], f"{where}.{item.name}")
            elif (tp, item.name) in _OMITTED_WHEN_NONE:
                kwargs[item.name] = None
            elif item.default is MISSING and item.default_factory is MISSING:
                raise CodecError(f"{where}: no {item.name}")
        return tp(**kwargs)
    if origin is Literal:
        if value in get_args(tp) and isinstance(value, str):
            return value
        raise CodecError(f"{where}: {value!r} is not one of {get_args(tp)}")
    if origin in (Union, types.UnionType):
        arms = get_args(tp)
        if value is None and type(None) in arms:
            return None
        for arm in arms:
            if arm is type(None):
                continue
            try:
                return _read(arm, value, where)
            except CodecError:
                continue
        raise CodecError(f"{where}: {value!r} is not a {tp}")
    if origin is tuple:
        args = get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"{where}: only tuple[X, ...] is plain data")
        return tuple(_read(args[0], v, where) for v in _list(value, where))
    if origin is list:
        return [_read(get_args(tp)[0], v, where) for v in _list(value, where)]
    if origin in (dict, Mapping, typing.Mapping) or tp is Mapping:
        item_type = get_args(tp)[1]
        return {_str(k): _read(item_type, v, where) for k, v in _object(value, where).items()}
    if tp is str:
        return _str(value, where)
    if tp is bool:
        return _bool(value, where)
    if tp is int:
        return _int(value, where)
    if tp is float:
        return _number(value, where)
    if tp is type(None) or tp is None:
        if value is None:
            return None
        raise CodecError(f"{where}: {value!r} is not null")
    raise TypeError(f"{where}: no reader for {tp}")


def _object(value: object, where: str = "") -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise CodecError(f"{where}: {type(value).__name__} is not an object")
    return cast(Mapping[str, object], value)


def _list(value: object, where: str = "") -> list[object]:
    if not isinstance(value, list):
        raise CodecError(f"{where}: {type(value).__name__} is not a list")
    return cast(list[object], value)


def _str(value: object, where: str = "") -> str:
    if not isinstance(value, str):
        raise CodecError(f"{where}: {value!r} is not a string")
    return value


def _opt_str(value: object, where: str = "") -> str | None:
    return None if value is None else _str(value, where)


def _bool(value: object, where: str = "") -> bool:
    if not isinstance(value, bool):
        raise CodecError(f"{where}: {value!r} is not true or false")
    return value


def _int(value: object, where: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError(f"{where}: {value!r} is not a whole number")
    return value


def _number(value: object, where: str = "") -> float:
    """A number as written (a whole number stays one: it compares equal either way)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodecError(f"{where}: {value!r} is not a number")
    return value


def _literal(value: object, words: tuple[T, ...]) -> T:
    for word in words:
        if value == word and isinstance(value, str):
            return word
    raise CodecError(f"{value!r} is not one of {words}")


__all__ = [
    "CodecError",
    "data_json",
    "diagnosis_from_report",
    "evidence_json",
    "finding_json",
    "network_json",
    "read_data",
    "read_diagnosis",
    "service_json",
    "vpn_json",
]
