"""The AWS region for boto3 where nothing names one (issue #35): boto3 reads ``AWS_REGION``,
``AWS_DEFAULT_REGION`` or the config file, never the instance's metadata, so on an EC2
instance (Elastic Beanstalk's included) with none of them ``boto3.client("cloudwatch")``
raises ``NoRegionError``. :func:`region` asks botocore's own chain first, then the instance
metadata service (IMDSv2, botocore's ``IMDSRegionProvider``: a token, then
``placement/region``, one attempt of 1 s each by default; ``AWS_EC2_METADATA_DISABLED=true``
turns it off, ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` points it elsewhere). Remembered once
found."""

import logging

logger = logging.getLogger(__name__)

_found: list[str] = []  # the metadata service's answer, once it gave one


def _metadata_region() -> str | None:
    import botocore.session
    from botocore.utils import IMDSRegionProvider

    if _found:
        return _found[0]
    try:
        answer = IMDSRegionProvider(botocore.session.get_session()).provide()
    except Exception as error:  # noqa: BLE001  (botocore and the network raise many types; None says "not found")
        logger.warning("The instance metadata service did not give the AWS region (%s).", error)
        return None
    if not isinstance(answer, str) or not answer:
        return None
    _found.append(answer)
    return answer


def region() -> str | None:
    """The region boto3 should use: the SDK's own settings, else this EC2 instance's; None off AWS
    with nothing set (the caller then says so)."""
    import botocore.session

    configured = botocore.session.get_session().get_config_variable("region")
    return str(configured) if configured else _metadata_region()
