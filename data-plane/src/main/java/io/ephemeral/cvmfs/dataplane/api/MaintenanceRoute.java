package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.dataplane.api.QueryParameters.Parameter;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * The maintenance endpoints of the v1 API, declared in {@link ApiRoute#table}: {@code POST
 * /api/v1/repos/{repo}/gc[?dryRun=true]} and {@code PUT /api/v1/repos/{repo}/whitelist}. Both
 * need the repository's token.
 */
public final class MaintenanceRoute {

  static final Parameter<Boolean> DRY_RUN = QueryParameters.flag("dryRun");

  private final Map<String, GarbageCollector> collectors;
  private final Map<String, WhitelistInstaller> whitelists;

  public MaintenanceRoute(Map<String, GarbageCollector> collectors, Map<String, WhitelistInstaller> whitelists) {
    this.collectors = collectors;
    this.whitelists = whitelists;
  }

  void collect(ApiCall call) throws Exception {
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.valueToTree(collectors.get(call.repo()).collect(call.query(DRY_RUN))));
  }

  void installWhitelist(ApiCall call) throws Exception {
    WhitelistInstaller installer = whitelists.get(call.repo());
    try {
      installer.install(call.bytes());
    } catch (InvalidWhitelistException e) {
      call.error(ApiError.of(HttpResponseStatus.UNPROCESSABLE_ENTITY, "invalid_whitelist", e.getMessage()));
      return;
    }
    Whitelist served = installer.current();
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode()
        .put("expiresAt", served == null ? null : served.clientExpiry().toString()));
  }
}
