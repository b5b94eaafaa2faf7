package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends the API requests for a repository this process only follows to the process that writes
 * it: {@code 307 Temporary Redirect} to the same path at the writer's URL, which keeps the method
 * and body for clients that follow it, with a JSON body that says so for those that do not; 503
 * while the writer's URL is not known yet. Every other request passes on.
 */
public final class WriterRedirectRoute extends RouteHandler {

  // Any segment: only names of followed repositories are answered here, the rest passes on.
  private static final Pattern REPOSITORY_API = Pattern.compile("/api/v1/repos/([^/]+)(?:/.*)?");

  /** The writers of the repositories this process follows. */
  @FunctionalInterface
  public interface Writers {
    /** Empty when this process writes {@code fqrn} itself (or does not serve it); else the writer's name and URL. */
    Optional<Writer> writerOf(String fqrn);
  }

  /** @param url where its API is reached, or {@code null} while unknown */
  public record Writer(String name, String url) {}

  private final Writers writers;

  public WriterRedirectRoute(Writers writers) {
    this.writers = writers;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    String path = path(request.uri());
    Matcher m = REPOSITORY_API.matcher(path);
    if (!m.matches()) {
      return false;
    }
    Optional<Writer> writer = writers.writerOf(m.group(1));
    if (writer.isEmpty()) {
      return false;
    }
    RequestFacts.of(ctx.channel()).route(request.method().name() + " /api/v1/repos/{repo}/…").repository(m.group(1));
    String fqrn = m.group(1);
    if (writer.get().url() == null) {
      JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.SERVICE_UNAVAILABLE, "not_the_writer", "this replica"
          + " follows " + fqrn + "; its writer " + writer.get().name() + " has not said where it is reached yet;"
          + " retry shortly"), false, new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, "1"));
      return true;
    }
    int query = request.uri().indexOf('?');
    String location = writer.get().url().replaceAll("/+$", "") + path + (query < 0 ? "" : request.uri().substring(query));
    JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.TEMPORARY_REDIRECT, "not_the_writer", "this replica follows "
        + fqrn + "; its writer " + writer.get().name() + " takes requests at " + location), false,
        new DefaultHttpHeaders().set(HttpHeaderNames.LOCATION, location));
    return true;
  }
}
