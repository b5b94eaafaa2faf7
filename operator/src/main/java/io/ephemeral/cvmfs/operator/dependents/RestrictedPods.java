package io.ephemeral.cvmfs.operator.dependents;

import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;

/** What every pod the operator makes shares: the restricted Pod Security Standard and HTTP probes. */
final class RestrictedPods {

  static final long RUN_AS = 65532;

  private RestrictedPods() {
  }

  static PodSecurityContext podSecurityContext() {
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true).withRunAsUser(RUN_AS).withRunAsGroup(RUN_AS).withFsGroup(RUN_AS)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }

  static SecurityContext containerSecurityContext() {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .build();
  }

  static Probe httpProbe(String path, String port, int periodSeconds) {
    return new ProbeBuilder().withNewHttpGet().withPath(path).withNewPort(port).endHttpGet()
        .withPeriodSeconds(periodSeconds).withTimeoutSeconds(3).withFailureThreshold(3).build();
  }
}
