package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * What a repository should be. Every field has a default, filled in here as well as in the
 * schema, so that the operator behaves the same whether or not the API server applied them.
 */
@ValidationRule(value = "has(self.fqrn) == has(oldSelf.fqrn) && (!has(self.fqrn) || self.fqrn == oldSelf.fqrn)",
    message = "fqrn is fixed once the repository exists")
@ValidationRule(value = "!has(oldSelf.hashAlgorithm) || (has(self.hashAlgorithm) && self.hashAlgorithm == oldSelf.hashAlgorithm)",
    message = "hashAlgorithm is fixed once the repository exists")
@ValidationRule(value = "!has(oldSelf.compression) || (has(self.compression) && self.compression == oldSelf.compression)",
    message = "compression is fixed once the repository exists")
@ValidationRule(value = "has(self.chunking) == has(oldSelf.chunking) && (!has(self.chunking) || self.chunking == oldSelf.chunking)",
    message = "chunking is fixed once the repository exists")
@ValidationRule(value = "!has(oldSelf.manifestTtl) || (has(self.manifestTtl) && self.manifestTtl == oldSelf.manifestTtl)",
    message = "manifestTtl is fixed once the repository exists")
@ValidationRule(value = "!has(self.replicas) || self.replicas <= 1 || (has(self.storage) && has(self.storage.s3))",
    message = "replicas above 1 need storage.s3: replicas share the repository through the bucket, while a data"
        + " volume belongs to one data-plane process")
public record CvmfsRepositorySpec(
    @JsonPropertyDescription("Fully qualified repository name, e.g. builds.example.org; default: metadata.name."
        + " Fixed once the repository exists.")
    @Pattern(Patterns.FQRN)
    String fqrn,

    @JsonPropertyDescription("Data-plane replicas. Above 1 only with storage.s3: one replica holds the writer lease"
        + " in the bucket, the others serve reads and notifications and redirect writes to it (307).")
    @Min(1) @Default("1")
    Integer replicas,

    @JsonPropertyDescription("Content hash of the repository; fixed once the repository exists.")
    @Default("sha1")
    HashName hashAlgorithm,

    @JsonPropertyDescription("Object compression: zlib (files that do not compress are stored uncompressed),"
        + " zlib-always or none; fixed once the repository exists.")
    @Default("zlib")
    CompressionName compression,

    @JsonPropertyDescription("Content-defined chunking of large files; fixed once the repository exists.")
    Chunking chunking,

    @JsonPropertyDescription("How long clients keep a revision before they look for a new one, e.g. 4m;"
        + " fixed once the repository exists.")
    @Pattern(Patterns.DURATION) @Default("4m")
    String manifestTtl,

    @JsonPropertyDescription("Lifetimes and limits of publications.")
    PublicationLimits publications,

    @JsonPropertyDescription("Validity of the signed whitelist.")
    WhitelistSettings whitelist,

    @JsonPropertyDescription("When garbage is collected and the whitelist re-signed.")
    MaintenanceSchedule maintenance,

    @JsonPropertyDescription("Where the repository's data lives.")
    Storage storage,

    @JsonPropertyDescription("How the data plane is exposed.")
    ServiceExposure service,

    @JsonPropertyDescription("The notification relays clients subscribe to.")
    NotificationRelaySettings notifications,

    @JsonPropertyDescription("Resources of the data-plane container.")
    ResourceRequirements resources,

    @JsonPropertyDescription("A ConfigMap, e.g. cvmfs-csi's cvmfs-csi-config-d, in which the operator keeps FQRN.conf"
        + " and FQRN.pub beside its other keys. It must exist and accept them: its annotation"
        + " cvmfs.ephemeral.io/accept-client-config lists the namespaces it takes them from, or is *.")
    ClientConfigMapRef clientConfigMap) {

  public CvmfsRepositorySpec {
    replicas = replicas == null ? 1 : replicas;
    hashAlgorithm = hashAlgorithm == null ? HashName.SHA1 : hashAlgorithm;
    compression = compression == null ? CompressionName.ZLIB : compression;
    chunking = chunking == null ? Chunking.DEFAULT : chunking;
    manifestTtl = manifestTtl == null ? "4m" : manifestTtl;
    publications = publications == null ? PublicationLimits.DEFAULT : publications;
    whitelist = whitelist == null ? WhitelistSettings.DEFAULT : whitelist;
    maintenance = maintenance == null ? MaintenanceSchedule.DEFAULT : maintenance;
    storage = storage == null ? Storage.DEFAULT : storage;
    service = service == null ? ServiceExposure.DEFAULT : service;
    notifications = notifications == null ? NotificationRelaySettings.DEFAULT : notifications;
  }

  public static CvmfsRepositorySpec defaults() {
    return new CvmfsRepositorySpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  public CvmfsRepositorySpec withFqrn(String newFqrn) {
    return new CvmfsRepositorySpec(newFqrn, replicas, hashAlgorithm, compression, chunking, manifestTtl, publications,
        whitelist, maintenance, storage, service, notifications, resources, clientConfigMap);
  }

  public CvmfsRepositorySpec withReplicas(Integer newReplicas) {
    return new CvmfsRepositorySpec(fqrn, newReplicas, hashAlgorithm, compression, chunking, manifestTtl, publications,
        whitelist, maintenance, storage, service, notifications, resources, clientConfigMap);
  }

  public CvmfsRepositorySpec withPublications(PublicationLimits limits) {
    return new CvmfsRepositorySpec(fqrn, replicas, hashAlgorithm, compression, chunking, manifestTtl, limits,
        whitelist, maintenance, storage, service, notifications, resources, clientConfigMap);
  }

  public CvmfsRepositorySpec withWhitelist(WhitelistSettings newWhitelist) {
    return new CvmfsRepositorySpec(fqrn, replicas, hashAlgorithm, compression, chunking, manifestTtl, publications,
        newWhitelist, maintenance, storage, service, notifications, resources, clientConfigMap);
  }

  public CvmfsRepositorySpec withMaintenance(MaintenanceSchedule newMaintenance) {
    return new CvmfsRepositorySpec(fqrn, replicas, hashAlgorithm, compression, chunking, manifestTtl, publications,
        whitelist, newMaintenance, storage, service, notifications, resources, clientConfigMap);
  }

  public CvmfsRepositorySpec withStorage(Storage newStorage) {
    return new CvmfsRepositorySpec(fqrn, replicas, hashAlgorithm, compression, chunking, manifestTtl, publications,
        whitelist, maintenance, newStorage, service, notifications, resources, clientConfigMap);
  }

  public CvmfsRepositorySpec withClientConfigMap(ClientConfigMapRef target) {
    return new CvmfsRepositorySpec(fqrn, replicas, hashAlgorithm, compression, chunking, manifestTtl, publications,
        whitelist, maintenance, storage, service, notifications, resources, target);
  }
}
