package io.ephemeral.cvmfs.dataplane.http;

import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

/**
 * What the route that answers a request learnt about it: which route it was, and for writes the
 * repository, path and revision concerned. The access metrics and the audit log read it once the
 * response has left. A connection carries one request at a time ({@link RequestGate}), so one
 * instance per connection is replaced at each request head.
 */
public final class RequestFacts {

  private static final AttributeKey<RequestFacts> KEY = AttributeKey.valueOf("cvmfs.request.facts");

  /** Route label of a request no route took. */
  public static final String UNMATCHED = "unmatched";

  // Set on a route's thread, read on the event loop after the response was written through it.
  private volatile String route = UNMATCHED;
  private volatile String repository;
  private volatile String path;
  private volatile long revision = -1;
  private volatile String errorCode;

  /** Starts the facts of a new request on {@code channel}. */
  public static RequestFacts begin(Channel channel) {
    RequestFacts facts = new RequestFacts();
    channel.attr(KEY).set(facts);
    return facts;
  }

  /** The facts of the request {@code channel} is answering; a detached instance if none was begun. */
  public static RequestFacts of(Channel channel) {
    Attribute<RequestFacts> attribute = channel.attr(KEY);
    RequestFacts facts = attribute.get();
    return facts != null ? facts : new RequestFacts();
  }

  /** A low-cardinality label naming the route, such as {@code PUT /api/v1/repos/{repo}/paths/{path}}. */
  public RequestFacts route(String label) {
    this.route = label;
    return this;
  }

  public RequestFacts repository(String fqrn) {
    this.repository = fqrn;
    return this;
  }

  public RequestFacts path(String repositoryPath) {
    this.path = repositoryPath;
    return this;
  }

  public RequestFacts revision(long value) {
    this.revision = value;
    return this;
  }

  /** The machine-readable code of the JSON error the request was answered with. */
  public RequestFacts errorCode(String code) {
    this.errorCode = code;
    return this;
  }

  public String route() {
    return route;
  }

  public String repository() {
    return repository;
  }

  public String path() {
    return path;
  }

  /** The revision the request produced or concerned, or -1. */
  public long revision() {
    return revision;
  }

  public String errorCode() {
    return errorCode;
  }
}
