"""Realism: the emulator fails where real AWS fails, on by default.

moto answers every call the way AWS would on a perfect day: a role is usable the moment it
exists, a NAT gateway id is known everywhere at once, deleting an ALB frees its security
group, any PostgreSQL version is accepted. A stack that passes on that has not been tested
against the AWS users run it on. Each module here makes one such kindness go away, cites
where AWS's behaviour is documented or reported, and states the real delay or rule:

==========================  ======================================================  =========
module                      behaviour                                               delay key
==========================  ======================================================  =========
``iam_propagation``         a new role is not assumable by a service for a while    ``iam``
``service_linked_roles``    a fresh account has no ``AWSServiceRoleForECS``         ``slr``
``consistency``             new NAT gateway and security group ids are unknown      ``ids``
``associations``            AssociateRouteTable refuses a subnet another table has  --
``enis``                    service-managed ENIs linger after their owner is gone   ``enis``
``dependencies``            DeleteSecurityGroup / DeleteSubnet see those ENIs       --
``transitions``             no endpoints while creating; state checks on modify     ``states``
``transitions``             an RDS change applied immediately starts later          ``modify``
``cache_members``           replication group members, replica count changes        ``states``
``versions``                orderable engine versions, full patch versions          --
``parameter_rules``         gp3 IOPS, storage shrink, name lengths, PI retention    --
``time_passing``            ``advance``: minor upgrades, patches, storage growth    --
``deployments``             broken images fail, the circuit breaker rolls back      ``deployments``
``secrets``                 a force-deleted secret's name stays taken for a while   ``secrets``
==========================  ======================================================  =========

Everything is patched into moto inside the emulator process only (``aws.serve``).
``CREDLINK_EMULATOR_REALISM=off`` (or ``--realism off``) leaves moto as it is;
``CREDLINK_EMULATOR_CONSISTENCY_SECONDS`` (``--consistency-seconds``) sets the delays:
``3`` for all, or ``3,enis=10,iam=5`` to override some (never 0 while realism is on).
"""

from __future__ import annotations

from .clock import Context, Delays, current, set_current

REALISM_ENV = "CREDLINK_EMULATOR_REALISM"
CONSISTENCY_ENV = "CREDLINK_EMULATOR_CONSISTENCY_SECONDS"
DEFAULT_CONSISTENCY_SECONDS = 3.0
# The behaviours whose delay can be set on its own (see the table above).
DELAY_KEYS = ("iam", "slr", "ids", "enis", "states", "modify", "deployments", "secrets")


def parse_realism(value: str | None, source: str = REALISM_ENV) -> bool:
    """``on`` (also when unset) or ``off``."""
    if value is None or value.strip() == "":
        return True
    text = value.strip().lower()
    if text not in ("on", "off"):
        raise ValueError(f"{source} {value!r}: expected on or off")
    return text == "on"


def _seconds(text: str, where: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{where}: expected a number of seconds such as 3") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError(f"{where}: expected a number of seconds such as 3")
    return seconds


def parse_consistency(value: str | None, source: str = CONSISTENCY_ENV, realism: bool = True) -> Delays:
    """``N`` or ``N,key=M,...``; 0 or less is refused while realism is on."""
    if value is None or value.strip() == "":
        return Delays(DEFAULT_CONSISTENCY_SECONDS)
    parts = [part.strip() for part in value.split(",")]
    default = _seconds(parts[0], f"{source} {value!r}") if "=" not in parts[0] else DEFAULT_CONSISTENCY_SECONDS
    overrides: dict[str, float] = {}
    for part in parts[0 if "=" in parts[0] else 1:]:
        key, sep, number = (item.strip() for item in part.partition("="))
        if not sep or key not in DELAY_KEYS:
            raise ValueError(f"{source} {value!r}: expected N or N,key=M with key among {', '.join(DELAY_KEYS)}")
        overrides[key] = _seconds(number, f"{source} {value!r}")
    if realism:
        for key, seconds in [("", default), *overrides.items()]:
            if seconds <= 0:
                what = f"the {key} delay" if key else "the delay"
                raise ValueError(f"{source} {value!r}: {what} must be more than 0 while realism is on "
                                 f"(turn realism off with {REALISM_ENV}=off instead)")
    return Delays(default, tuple(sorted(overrides.items())))


def install(context: Context, schedule=None) -> Context:
    """Patch moto (emulator process only) with every behaviour; ``schedule`` is the latency schedule."""
    from . import (associations, cache_members, consistency, dependencies, deployments, enis, iam_propagation,
                   parameter_rules, secrets, service_linked_roles, transitions, versions)

    set_current(context)
    for module in (iam_propagation, service_linked_roles, consistency, associations, versions, parameter_rules,
                   transitions, cache_members, enis, dependencies, secrets):
        module.install(context)
    deployments.install(context, schedule)
    return context


def describe(context: Context | None = None) -> dict:
    """What ``GET /_credlink/realism`` answers: the delays in force."""
    context = context or current()
    return {"realism": "on", "consistency_seconds": context.delays.default,
            "delays": {key: context.delay(key) for key in DELAY_KEYS}}


__all__ = ["Context", "Delays", "REALISM_ENV", "CONSISTENCY_ENV", "DELAY_KEYS", "parse_realism",
           "parse_consistency", "install", "describe", "current"]
