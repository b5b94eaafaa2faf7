package io.ephemeral.cvmfs.dataplane.observability;

import io.ephemeral.cvmfs.common.observability.LogSetup;
import io.ephemeral.cvmfs.dataplane.http.CompletedRequest;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line on the logger {@value LogSetup#AUDIT_LOGGER} for every write request, accepted or
 * refused, with what it concerned and how it ended as key-value pairs: {@code repository},
 * {@code path}, {@code revision}, {@code route}, {@code method}, {@code status}, {@code outcome}
 * ({@code ok}, {@code refused}, {@code failed} or {@code aborted}), {@code errorCode}, {@code
 * bytes} (request body received), {@code durationMs} and {@code client}. Reads are not logged.
 */
public final class AuditLog {

  private static final Logger AUDIT = LoggerFactory.getLogger(LogSetup.AUDIT_LOGGER);

  /** Logs {@code request} if it is a write. */
  public void record(CompletedRequest request) {
    RequestFacts facts = request.facts();
    // A subscription may come as POST (its GET carries a body some proxies drop) but changes nothing.
    if (!request.write() || SubscribeRoute.POST_ROUTE.equals(facts.route()) || !AUDIT.isInfoEnabled()) {
      return;
    }
    String outcome = request.outcome();
    // Route labels start with their method, except that of a request no route took.
    String route = facts.route().startsWith(request.method() + " ") ? facts.route()
        : request.method() + " " + facts.route();
    AUDIT.atInfo()
        .setMessage("{} {} {}")
        .addArgument(route)
        .addArgument(request.status() == 0 ? "-" : request.status())
        .addArgument(outcome)
        .addKeyValue("repository", facts.repository())
        .addKeyValue("path", facts.path())
        .addKeyValue("revision", facts.revision() < 0 ? null : facts.revision())
        .addKeyValue("route", facts.route())
        .addKeyValue("method", request.method())
        .addKeyValue("status", request.status())
        .addKeyValue("outcome", outcome)
        .addKeyValue("errorCode", facts.errorCode())
        .addKeyValue("bytes", request.requestBytes())
        .addKeyValue("durationMs", request.duration().toMillis())
        .addKeyValue("client", request.client())
        .log();
  }
}
