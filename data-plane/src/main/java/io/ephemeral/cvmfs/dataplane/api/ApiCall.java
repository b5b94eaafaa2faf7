package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.api.QueryParameters.Parameter;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * One request to a declared endpoint, as its action sees it: the path variables, the declared
 * query parameters already read, the body in the endpoint's mode, and the ways to answer.
 */
final class ApiCall {

  private final ChannelHandlerContext ctx;
  private final HttpRequest request;
  private final RouteTable.Endpoint endpoint;
  private final RouteTable.Dialect dialect;
  private final Map<String, String> variables;
  private final RequestFacts facts;
  private final Map<String, Object> parameters = new HashMap<>();
  // Written on the route's thread, read by the worker deciding whether the connection can go on.
  private volatile boolean bodyPending;
  private volatile InputStream stream;
  private volatile ByteBuf collected;
  private volatile HttpPostRequestDecoder form;

  ApiCall(ChannelHandlerContext ctx, HttpRequest request, RouteTable.Endpoint endpoint, RouteTable.Dialect dialect,
      Map<String, String> variables, RequestFacts facts) {
    this.ctx = ctx;
    this.request = request;
    this.endpoint = endpoint;
    this.dialect = dialect;
    this.variables = variables;
    this.facts = facts;
  }

  ChannelHandlerContext ctx() {
    return ctx;
  }

  HttpRequest request() {
    return request;
  }

  RouteTable.Endpoint endpoint() {
    return endpoint;
  }

  /** The repository named by the path, or null. */
  String repo() {
    return variables.get("repo");
  }

  /** The path inside the repository named by the request path, or null. */
  String path() {
    return variables.get("path");
  }

  /** The value of the pattern's variable {@code name}. */
  String variable(String name) {
    return variables.get(name);
  }

  /** Reads the declared parameters from {@code query}; throws InvalidParameterException for the first bad one. */
  void readParameters(QueryParameters query) {
    for (Parameter<?> parameter : endpoint.parameters()) {
      parameters.put(parameter.name(), query.get(parameter));
    }
  }

  /** The value of a query parameter the endpoint declares. */
  @SuppressWarnings("unchecked")
  <T> T query(Parameter<T> parameter) {
    if (!endpoint.parameters().contains(parameter)) {
      throw new IllegalStateException(endpoint.label() + " does not declare " + parameter.name());
    }
    return (T) parameters.get(parameter.name());
  }

  /** The streamed body ({@link RouteTable.Body#STREAMED}). */
  InputStream body() {
    return stream;
  }

  /** The collected body parsed as a JSON object ({@link RouteTable.Body#JSON}). */
  JsonNode json() {
    ByteBuf body = collected;
    JsonNode node;
    try (InputStream in = new ByteBufInputStream(body.duplicate())) {
      node = body.isReadable() ? JsonResponses.JSON.readTree(in) : null;
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object");
    }
    return node;
  }

  /** The collected body ({@link RouteTable.Body#BYTES}). */
  byte[] bytes() {
    return ByteBufUtil.getBytes(collected);
  }

  /** A part of the posted form ({@link RouteTable.Body#FORM}), or null. */
  InterfaceHttpData formPart(String name) {
    HttpPostRequestDecoder decoder = form;
    return decoder == null ? null : decoder.getBodyHttpData(name);
  }

  /** Answers with {@code body}. */
  void send(HttpResponseStatus status, JsonNode body) {
    send(status, body, null);
  }

  /** Answers with {@code body} and {@code headers} (may be null) added. */
  void send(HttpResponseStatus status, JsonNode body, HttpHeaders headers) {
    JsonResponses.send(ctx, status, body, !bodyPending, headers);
  }

  /** Answers with {@code error} in the words of the endpoint's family. */
  void error(ApiError error) {
    if (ctx.channel().isActive()) {
      dialect.answer(ctx, error, !bodyPending, null);
    }
  }

  /** Answers a bad parameter in the words of the endpoint's family. */
  void error(InvalidParameterException invalid) {
    if (ctx.channel().isActive()) {
      dialect.answer(ctx, invalid, !bodyPending);
    }
  }

  /** Records the repository path the request concerns when the request path does not name it. */
  void repositoryPath(String path) {
    facts.path(path);
  }

  /** Records the revision the request produced or concerns. */
  void revision(long revision) {
    facts.revision(revision);
  }

  void bodyPending(boolean pending) {
    bodyPending = pending;
  }

  void stream(InputStream body) {
    stream = body;
  }

  void collected(ByteBuf body) {
    collected = body;
  }

  void form(HttpPostRequestDecoder decoder) {
    form = decoder;
  }
}
