"""factory-boy factories for every model the tests build, one module per app (accounts: the
sign-in rows of Django's, django-otp's and django-axes' models). Import them from here."""

from tests.factories.accounts import (
    AccessAttemptFactory,
    AccessFailureLogFactory,
    AccessLogFactory,
    ServiceLogoFactory,
    TOTPDeviceFactory,
)
from tests.factories.alerts import SubscriptionFactory
from tests.factories.comments import CommentFactory, CommentFlagFactory
from tests.factories.official import (
    AcknowledgementFactory,
    OfficialIncidentFactory,
    OfficialSourceFactory,
)
from tests.factories.outages import (
    DetectionCursorFactory,
    IncidentEventFactory,
    IncidentFactory,
    MinuteBucketFactory,
    SeriesBaselineFactory,
    SeriesStateFactory,
    ServiceAliasFactory,
    ServiceFactory,
    ServiceStatusFactory,
)
from tests.factories.reports import ReportFactory, SaltFactory, report_row

__all__ = [
    "AccessAttemptFactory",
    "AccessFailureLogFactory",
    "AccessLogFactory",
    "AcknowledgementFactory",
    "CommentFactory",
    "CommentFlagFactory",
    "DetectionCursorFactory",
    "IncidentEventFactory",
    "IncidentFactory",
    "MinuteBucketFactory",
    "OfficialIncidentFactory",
    "OfficialSourceFactory",
    "ReportFactory",
    "SaltFactory",
    "SeriesBaselineFactory",
    "SeriesStateFactory",
    "ServiceAliasFactory",
    "ServiceFactory",
    "ServiceLogoFactory",
    "ServiceStatusFactory",
    "SubscriptionFactory",
    "TOTPDeviceFactory",
    "report_row",
]
