/* SPDX-License-Identifier: MIT */
/* Tools from an image archive: what --tools-image names, reading an image's
   manifests out of a docker-archive (`docker save`, `podman save`: a tar
   with manifest.json) or an OCI image layout (index.json, oci-layout,
   blobs/sha256/...: a directory or a tar of one), and unpacking its layers,
   in order, into a directory (tools-layer.h applies each).  The unpacked
   tree lives in the cache (tools-cache.h), keyed by the image's config
   digest, so only the first attach of an image pays for it.

   The manifest parsers (tools-manifest.c) are pure (strings in, a plan
   out) and unit-tested.
   Every digest an archive names for what cntr reads is checked while it is
   read (sha256 only), so a cache entry holds what its key says.

   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_TOOLS_IMAGE_H
#define CNTR_TOOLS_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "sha256:" and 64 lowercase hex digits. */
#define IMAGE_DIGEST_LEN (7 + 64)
/* The cache's name of a digest: "sha256-" and the hex digits. */
#define IMAGE_KEY_LEN IMAGE_DIGEST_LEN

/* What --tools-image's argument says. */
enum image_transport
{
  IMAGE_ANY,            /* PATH: whatever PATH is */
  IMAGE_OCI,            /* oci:PATH[:REF] */
  IMAGE_DOCKER_ARCHIVE, /* docker-archive:PATH[:REF] */
};

struct image_ref
{
  enum image_transport transport;
  char *path;
  char *ref; /* the tag or name to pick, NULL: the archive's only image */
};

/* PATH, oci:PATH[:REF] or docker-archive:PATH[:REF] (skopeo's syntax: with
   a transport, PATH ends at the first ':').  Fails on an empty PATH. */
int image_ref_parse(const char *spec, struct image_ref *r);
void image_ref_free(struct image_ref *r);

/* One layer to apply. */
struct image_layer
{
  char *blob;    /* its member of the archive: "blobs/sha256/HEX", "ID/layer.tar" */
  char *digest;  /* the digest of its bytes as stored, NULL: not named */
  char *diff_id; /* the digest of its uncompressed tar (the config's), NULL: not known */
  int64_t size;  /* bytes as stored, -1: not known */
};

/* An image: its config and its layers, bottom first. */
struct image_plan
{
  char *config;        /* the config's member of the archive */
  char *config_digest; /* "sha256:HEX": the image's identity and cache key */
  struct image_layer *layers;
  size_t nlayers;
};

void image_plan_free(struct image_plan *p);

/* The platform an image should be for, in the OCI's words: "amd64". */
const char *image_host_arch(void);

/* index.json (or a nested image index): the descriptor of the manifest to
   use.  With ref, the one whose org.opencontainers.image.ref.name is ref;
   without, the only one (several: an error that lists their names).  An
   index descriptor is returned as it is (*is_index set) for the caller to
   read and pick from in turn, by platform: arch (NULL: any).  *digest gets
   "sha256:HEX". */
int image_parse_index(const char *json, const char *ref, const char *arch, char **digest,
                      bool *is_index);

/* An image manifest (OCI or docker v2 schema 2): its config and layers,
   blobs named blobs/sha256/HEX.  Layer media types other than tar, gzip
   and zstd ones fail ("unsupported media type"). */
int image_parse_manifest(const char *json, struct image_plan *p);

/* manifest.json of a docker-archive: the entry whose RepoTags has ref (or
   ref:latest), without ref the only one. */
int image_parse_docker_manifest(const char *json, const char *ref, struct image_plan *p);

/* The config: its rootfs.diff_ids into the plan's layers (their count must
   match); warns when it is for another architecture than arch. */
int image_parse_config(const char *json, const char *arch, struct image_plan *p);

/* Whether s is "sha256:" and 64 lowercase hex digits. */
bool image_digest_valid(const char *s);
/* "blobs/sha256/HEX" for a digest, and back (NULL: the name is no blob's). */
char *image_blob_name(const char *digest);
char *image_digest_of_blob_name(const char *name);
/* The cache's name of a valid digest ("sha256:HEX" -> "sha256-HEX"). */
void image_digest_key(const char *digest, char key[IMAGE_KEY_LEN + 1]);

/* An opened image archive, its image chosen. */
struct image;

int image_open(const char *spec, struct image **out);
/* The chosen image's config digest. */
const char *image_config_digest(const struct image *img);
/* Unpack every layer into the empty directory root_fd (an O_PATH fd);
   progress: a line on stderr while it runs (the caller says whether that
   is a terminal). */
int image_unpack(struct image *img, int root_fd, bool progress);
void image_close(struct image *img);

#endif
