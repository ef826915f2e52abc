"""The local AWS emulator: moto's server, completed with the few calls platformctl makes that moto lacks.

moto 5.2.5 implements almost everything platformctl calls. The gaps are API Gateway v2 operations
(UpdateStage, GetAuthorizers, UpdateDomainName, UpdateApiMapping, DeleteAccessLogSettings); without them
the emulator could create an HTTP API but never read its authorizers or change its stage. They are added
here on moto's own backend objects, so requests still go through botocore's validation and moto's routing.
`python -m platformctl.emulator -H 127.0.0.1 -p PORT` takes moto.server's arguments.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import unquote

_installed = False
Response = tuple[int, dict[str, str], str]


def install() -> None:
    """Add the missing operations to moto (idempotent); works for the server and for in-process mock_aws."""
    global _installed
    if _installed:
        return
    from moto.apigatewayv2 import urls
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    def update_stage(self: Any) -> Response:
        api_id, stage_name = self.path.split("/")[-3], unquote(self.path.split("/")[-1])
        params = json.loads(self.body)
        stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
        if "autoDeploy" in params:
            stage.auto_deploy = params["autoDeploy"]
        if "defaultRouteSettings" in params:
            stage.default_route_settings = {**stage.default_route_settings, **params["defaultRouteSettings"]}
        if "accessLogSettings" in params:
            stage.access_log_settings = params["accessLogSettings"]
        return 200, {}, json.dumps(stage.to_json())

    def delete_access_log_settings(self: Any) -> Response:
        parts = self.path.split("/")
        self.apigatewayv2_backend.get_stage(parts[-4], unquote(parts[-2])).access_log_settings = None
        return 204, {}, ""

    def get_authorizers(self: Any) -> Response:
        api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
        return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})

    def update_domain_name(self: Any) -> Response:
        domain = self.apigatewayv2_backend.get_domain_name(unquote(self.path.split("/")[-1]))
        domain.domain_name_configurations = json.loads(self.body)["domainNameConfigurations"]
        return 200, {}, json.dumps(domain.to_json())

    def update_api_mapping(self: Any) -> Response:
        parts = self.path.split("/")
        mapping = self.apigatewayv2_backend.get_api_mapping(parts[-1], unquote(parts[-3]))
        params = json.loads(self.body)
        mapping.api_id = params.get("apiId", mapping.api_id)
        mapping.stage = params.get("stage", mapping.stage)
        return 200, {}, json.dumps(mapping.to_json())

    for name, method in {
        "update_stage": update_stage,
        "delete_access_log_settings": delete_access_log_settings,
        "get_authorizers": get_authorizers,
        "update_domain_name": update_domain_name,
        "update_api_mapping": update_api_mapping,
    }.items():
        if not hasattr(ApiGatewayV2Response, name):
            setattr(ApiGatewayV2Response, name, method)
    route = "{0}/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage_name>[^/]+)/accesslogsettings$"
    urls.url_paths.setdefault(route, ApiGatewayV2Response.dispatch)
    _installed = True


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
