package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import java.util.Map;

/** How clients reach the data plane. */
public record ServiceExposure(
    @JsonPropertyDescription("Service type: ClusterIP, NodePort or LoadBalancer.")
    @Default("ClusterIP") Type type,
    @JsonPropertyDescription("Annotations of the Service, e.g. for a load balancer.")
    Map<String, String> annotations,
    @JsonPropertyDescription("Base URL clients use (http://host:port); default: the Service's cluster DNS name.")
    @Pattern(Patterns.HTTP_URL) String publicUrl,
    @JsonPropertyDescription("Notification base URL clients subscribe to (http://host:port/api/v1); default: the"
        + " relay Service's cluster DNS name. Set it with publicUrl when nodes mount from outside the cluster's DNS.")
    @Pattern(Patterns.HTTP_URL) String notificationUrl) {

  public static final ServiceExposure DEFAULT = new ServiceExposure(null, null, null, null);

  public ServiceExposure {
    type = type == null ? Type.CLUSTER_IP : type;
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** Service types. */
  public enum Type {
    @JsonProperty("ClusterIP") CLUSTER_IP("ClusterIP"),
    @JsonProperty("NodePort") NODE_PORT("NodePort"),
    @JsonProperty("LoadBalancer") LOAD_BALANCER("LoadBalancer");

    private final String kubernetesName;

    Type(String kubernetesName) {
      this.kubernetesName = kubernetesName;
    }

    public String kubernetesName() {
      return kubernetesName;
    }
  }
}
