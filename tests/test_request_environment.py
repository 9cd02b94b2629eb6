"""Every environment key of a request (contract §2: ip, browser, os, device, secure, SAML/ticket
attributes) reaches rules as `user.environment.*`; `secure` is `user.environment.secureRequest`.

Source: Available resource conditions (May 2023), "user.environment.secureRequest - Session based
attribute for secureRequest. Value true - if SSL is used - otherwise false.
user.environment.secureRequest="true"", and the browser/os/device/ip/[SAML attribute] entries:
https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/available-resource-conditions.htm
"""
import pytest

from .conftest import decide, site_from

SITE = """
qsplay: 1
name: environment
default_rules: false
license: {professional: 2}
user_directories: [{name: CORP}]
users: [{directory: CORP, id: ann, access: [professional]}]
streams: [{name: Secure}]
security_rules:
  - name: env
    resource_filter: Stream_*
    actions: [read]
    condition: %s
checks:
  - name: over https
    request: {user: CORP\\ann, resource: "stream:Secure", environment: {secure: true}}
    expect: allow
  - name: over http
    request: {user: CORP\\ann, resource: "stream:Secure", environment: {secure: false}}
    expect: deny
"""


def test_secure_reaches_rules_as_secure_request_in_a_scenario():
    from qsplay.engine import run_checks
    site = site_from(SITE % 'user.environment.secureRequest = "true"')
    result = run_checks(site)
    assert result.failed == 0, [r.explanation for r in result.results]


@pytest.mark.parametrize("key, value, condition", [
    ("secure", True, 'user.environment.secureRequest = "true"'),
    ("secure", "true", 'user.environment.SecureRequest = "true"'),
    ("ip", "::ffff:10.88.0.5", 'user.environment.ip = "::ffff:10.88.0.5"'),
    ("browser", "Mozilla/5.0 (Windows NT 10.0) Firefox/120.0", 'user.environment.browser like "*Firefox*"'),
    ("os", "Windows 10", 'user.environment.os like "Windows*"'),
    ("device", "iPhone", 'user.environment.device = "iPhone"'),
    ("group", ["Sales", "EMEA"], 'user.environment.group = "EMEA"'),  # a SAML/ticket attribute
])
def test_every_contract_key_reaches_rules(key, value, condition):
    site = site_from(SITE % condition)
    assert decide(site, "stream:Secure", "read", "CORP\\ann", environment={key: value}).allowed
    assert not decide(site, "stream:Secure", "read", "CORP\\ann").allowed


def test_an_insecure_request_is_the_text_false():
    site = site_from(SITE % 'user.environment.secureRequest = "false"')
    assert decide(site, "stream:Secure", "read", "CORP\\ann", environment={"secure": False}).allowed
