/* SPDX-License-Identifier: MIT */
/* The JSON of an image (tools-image.h): an OCI layout's index and
   manifests, a docker-archive's manifest.json, the config.  Pure. */
#include "tools-image.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The annotations that name an image of a layout. */
#define OCI_REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME "io.containerd.image.name"

void
image_plan_free(struct image_plan *p)
{
  for (size_t i = 0; i < p->nlayers; i++)
    {
      free(p->layers[i].blob);
      free(p->layers[i].digest);
      free(p->layers[i].diff_id);
    }
  free(p->layers);
  free(p->config);
  free(p->config_digest);
  *p = (struct image_plan){ 0 };
}

static const char *
json_string_at(json_object *o, const char *key)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static json_object *
json_array_at(json_object *o, const char *key)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
    return NULL;
  return v;
}

static json_object *
json_parse_object(const char *json, const char *what)
{
  json_object *root = json ? json_tokener_parse(json) : NULL;
  if (!root || !json_object_is_type(root, json_type_object))
    {
      json_object_put(root);
      cntr_fail(0, "%s: not a JSON object", what);
      return NULL;
    }
  return root;
}

static bool
is_manifest_type(const char *t)
{
  return !t || !strcmp(t, "application/vnd.oci.image.manifest.v1+json")
         || !strcmp(t, "application/vnd.docker.distribution.manifest.v2+json");
}

static bool
is_index_type(const char *t)
{
  return t
         && (!strcmp(t, "application/vnd.oci.image.index.v1+json")
             || !strcmp(t, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

/* A descriptor's name, as users tag it. */
static const char *
descriptor_name(json_object *d)
{
  json_object *ann;
  if (!json_object_object_get_ex(d, "annotations", &ann))
    return NULL;
  const char *name = json_string_at(ann, OCI_REF_NAME);
  return name ? name : json_string_at(ann, CONTAINERD_NAME);
}

static bool
descriptor_named(json_object *d, const char *ref)
{
  json_object *ann;
  if (!json_object_object_get_ex(d, "annotations", &ann))
    return false;
  const char *oci = json_string_at(ann, OCI_REF_NAME);
  const char *containerd = json_string_at(ann, CONTAINERD_NAME);
  size_t n = strlen(ref);
  return (oci && !strcmp(oci, ref)) || (containerd && !strcmp(containerd, ref))
         || (containerd && !strncmp(containerd, ref, n) && !strcmp(containerd + n, ":latest"));
}

static bool
descriptor_for_arch(json_object *d, const char *arch)
{
  json_object *platform;
  if (!json_object_object_get_ex(d, "platform", &platform))
    return true;
  const char *a = json_string_at(platform, "architecture");
  const char *os = json_string_at(platform, "os");
  return (!a || !arch || !strcmp(a, arch)) && (!os || !strcmp(os, "linux"));
}

/* The names of the candidates, for a message: "a, b, (unnamed)". */
static void
list_names(json_object **v, size_t n, char *buf, size_t size)
{
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && len < size; i++)
    {
      const char *name = descriptor_name(v[i]);
      int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", name ? name : "(unnamed)");
      len += w > 0 ? (size_t)w : 0;
    }
}

int
image_parse_index(const char *json, const char *ref, const char *arch, char **digest,
                  bool *is_index)
{
  *digest = NULL;
  *is_index = false;
  json_object *root = json_parse_object(json, "index.json");
  if (!root)
    return -1;
  json_object *manifests = json_array_at(root, "manifests");
  if (!manifests)
    {
      json_object_put(root);
      return cntr_fail(0, "index.json: no \"manifests\": not an image index");
    }
  size_t n = json_object_array_length(manifests);
  json_object **all = calloc(n + 1, sizeof *all);
  json_object **pick = calloc(n + 1, sizeof *pick);
  size_t nall = 0, npick = 0;
  int rc = -1;
  if (!all || !pick)
    {
      cntr_fail(ENOMEM, "index.json");
      goto out;
    }
  for (size_t i = 0; i < n; i++)
    {
      json_object *d = json_object_array_get_idx(manifests, i);
      const char *type = json_string_at(d, "mediaType");
      if (!is_manifest_type(type) && !is_index_type(type))
        continue; /* an attestation, a signature: not an image */
      all[nall++] = d;
    }
  for (size_t i = 0; i < nall; i++)
    if (ref ? descriptor_named(all[i], ref) : descriptor_for_arch(all[i], arch))
      pick[npick++] = all[i];
  char names[512];
  list_names(ref ? all : pick, ref ? nall : npick, names, sizeof names);
  if (npick == 0)
    {
      if (ref)
        {
          cntr_fail(0, "no image named '%s' (the archive has: %s)", ref, nall ? names : "none");
          cntr_hint("name one of them after the last ':' of oci:PATH:NAME");
        }
      else
        cntr_fail(0, "no image for linux/%s in the archive", arch ? arch : "?");
      goto out;
    }
  if (npick > 1)
    {
      cntr_fail(0, "the archive holds %zu images (%s)", npick, names);
      cntr_hint("name one: oci:PATH:NAME");
      goto out;
    }
  const char *d = json_string_at(pick[0], "digest");
  if (!image_digest_valid(d))
    {
      cntr_fail(0, "index.json: digest '%s': not a sha256 digest", d ? d : "");
      cntr_hint("cntr reads sha256 digests only");
      goto out;
    }
  *is_index = is_index_type(json_string_at(pick[0], "mediaType"));
  *digest = strdup(d);
  rc = *digest ? 0 : cntr_fail(ENOMEM, "index.json");
out:
  free(all);
  free(pick);
  json_object_put(root);
  return rc;
}

/* The layer media types cntr unpacks (libarchive detects the compression). */
static const char *const layer_types[] = {
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.diff.tar.zstd",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static int
plan_add_layer(struct image_plan *p, char *blob, char *digest, int64_t size)
{
  struct image_layer *v = realloc(p->layers, (p->nlayers + 1) * sizeof *v);
  if (!v || !blob)
    {
      free(blob);
      free(digest);
      return cntr_fail(ENOMEM, "read the manifest");
    }
  p->layers = v;
  v[p->nlayers++] = (struct image_layer){ blob, digest, NULL, size };
  return 0;
}

int
image_parse_manifest(const char *json, struct image_plan *p)
{
  *p = (struct image_plan){ 0 };
  json_object *root = json_parse_object(json, "the manifest");
  if (!root)
    return -1;
  int rc = -1;
  const char *type = json_string_at(root, "mediaType");
  json_object *config, *v;
  if (type && !is_manifest_type(type))
    {
      cntr_fail(0, "the manifest: unsupported media type '%s'", type);
      goto out;
    }
  if (!json_object_object_get_ex(root, "config", &config))
    {
      cntr_fail(0, "the manifest: no \"config\": not an image manifest");
      goto out;
    }
  const char *ctype = json_string_at(config, "mediaType");
  if (ctype && strcmp(ctype, "application/vnd.oci.image.config.v1+json")
      && strcmp(ctype, "application/vnd.docker.container.image.v1+json"))
    {
      cntr_fail(0, "the manifest: config of media type '%s': not a container image", ctype);
      goto out;
    }
  const char *cdigest = json_string_at(config, "digest");
  if (!image_digest_valid(cdigest))
    {
      cntr_fail(0, "the manifest: config digest '%s': not a sha256 digest", cdigest ? cdigest : "");
      goto out;
    }
  p->config_digest = strdup(cdigest);
  p->config = image_blob_name(cdigest);
  if (!p->config_digest || !p->config)
    {
      cntr_fail(ENOMEM, "read the manifest");
      goto out;
    }
  json_object *layers = json_array_at(root, "layers");
  if (!layers)
    {
      cntr_fail(0, "the manifest: no \"layers\"");
      goto out;
    }
  for (size_t i = 0; i < json_object_array_length(layers); i++)
    {
      json_object *l = json_object_array_get_idx(layers, i);
      const char *ltype = json_string_at(l, "mediaType");
      const char *digest = json_string_at(l, "digest");
      size_t t = 0;
      while (t < sizeof layer_types / sizeof *layer_types
             && (!ltype || strcmp(ltype, layer_types[t])))
        t++;
      if (t == sizeof layer_types / sizeof *layer_types)
        {
          cntr_fail(0, "layer %zu: unsupported media type '%s'", i + 1, ltype ? ltype : "");
          cntr_hint("cntr unpacks tar layers: uncompressed, gzip or zstd");
          goto out;
        }
      if (!image_digest_valid(digest))
        {
          cntr_fail(0, "layer %zu: digest '%s': not a sha256 digest", i + 1, digest ? digest : "");
          goto out;
        }
      int64_t size = json_object_object_get_ex(l, "size", &v) ? json_object_get_int64(v) : -1;
      if (plan_add_layer(p, image_blob_name(digest), strdup(digest), size) < 0)
        goto out;
    }
  rc = 0;
out:
  json_object_put(root);
  if (rc < 0)
    image_plan_free(p);
  return rc;
}

static bool
repo_tags_have(json_object *entry, const char *ref)
{
  json_object *tags = json_array_at(entry, "RepoTags");
  size_t n = strlen(ref);
  for (size_t i = 0; tags && i < json_object_array_length(tags); i++)
    {
      const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
      if (t && (!strcmp(t, ref) || (!strncmp(t, ref, n) && !strcmp(t + n, ":latest"))))
        return true;
    }
  return false;
}

static void
list_repo_tags(json_object *root, char *buf, size_t size)
{
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < json_object_array_length(root) && len < size; i++)
    {
      json_object *tags = json_array_at(json_object_array_get_idx(root, i), "RepoTags");
      const char *t = tags && json_object_array_length(tags)
                          ? json_object_get_string(json_object_array_get_idx(tags, 0))
                          : "(untagged)";
      int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", t ? t : "(untagged)");
      len += w > 0 ? (size_t)w : 0;
    }
}

int
image_parse_docker_manifest(const char *json, const char *ref, struct image_plan *p)
{
  *p = (struct image_plan){ 0 };
  json_object *root = json ? json_tokener_parse(json) : NULL;
  if (!root || !json_object_is_type(root, json_type_array))
    {
      json_object_put(root);
      return cntr_fail(0, "manifest.json: not a JSON array: not a docker-archive");
    }
  size_t n = json_object_array_length(root);
  json_object *entry = NULL;
  size_t matches = 0;
  for (size_t i = 0; i < n; i++)
    if (!ref || repo_tags_have(json_object_array_get_idx(root, i), ref))
      {
        entry = entry ? entry : json_object_array_get_idx(root, i);
        matches++;
      }
  char names[512];
  list_repo_tags(root, names, sizeof names);
  int rc = -1;
  if (!matches)
    {
      if (ref)
        cntr_fail(0, "no image named '%s' (the archive has: %s)", ref, n ? names : "none");
      else
        cntr_fail(0, "manifest.json: no image in the archive");
      cntr_hint("name one of them: docker-archive:PATH:NAME");
      goto out;
    }
  if (matches > 1 && !ref)
    {
      cntr_fail(0, "the archive holds %zu images (%s)", matches, names);
      cntr_hint("name one: docker-archive:PATH:NAME");
      goto out;
    }
  const char *config = json_string_at(entry, "Config");
  json_object *layers = json_array_at(entry, "Layers");
  if (!config || !layers)
    {
      cntr_fail(0, "manifest.json: an image without \"Config\" or \"Layers\"");
      goto out;
    }
  p->config = strdup(config);
  if (!p->config)
    {
      cntr_fail(ENOMEM, "read manifest.json");
      goto out;
    }
  /* Its name is its digest: "HEX.json" (docker, podman) or a blob. */
  p->config_digest = image_digest_of_blob_name(config);
  if (!p->config_digest && strlen(config) == 64 + 5 && !strcmp(config + 64, ".json"))
    {
      char *d = xasprintf("sha256:%.64s", config);
      if (d && image_digest_valid(d))
        p->config_digest = d;
      else
        free(d);
    }
  for (size_t i = 0; i < json_object_array_length(layers); i++)
    {
      const char *l = json_object_get_string(json_object_array_get_idx(layers, i));
      if (!l || !*l)
        {
          cntr_fail(0, "manifest.json: layer %zu has no name", i + 1);
          goto out;
        }
      if (plan_add_layer(p, strdup(l), image_digest_of_blob_name(l), -1) < 0)
        goto out;
    }
  rc = 0;
out:
  json_object_put(root);
  if (rc < 0)
    image_plan_free(p);
  return rc;
}

int
image_parse_config(const char *json, const char *arch, struct image_plan *p)
{
  json_object *root = json_parse_object(json, "the image config");
  if (!root)
    return -1;
  int rc = -1;
  json_object *rootfs;
  json_object *ids = json_object_object_get_ex(root, "rootfs", &rootfs)
                         ? json_array_at(rootfs, "diff_ids")
                         : NULL;
  if (!ids)
    {
      cntr_fail(0, "the image config: no rootfs.diff_ids: not a container image");
      goto out;
    }
  if (json_object_array_length(ids) != p->nlayers)
    {
      cntr_fail(0, "the image config lists %zu layers, the manifest %zu",
                json_object_array_length(ids), p->nlayers);
      goto out;
    }
  for (size_t i = 0; i < p->nlayers; i++)
    {
      const char *d = json_object_get_string(json_object_array_get_idx(ids, i));
      if (!image_digest_valid(d))
        {
          cntr_fail(0, "the image config: diff_id '%s': not a sha256 digest", d ? d : "");
          goto out;
        }
      free(p->layers[i].diff_id);
      p->layers[i].diff_id = strdup(d);
      if (!p->layers[i].diff_id)
        {
          cntr_fail(ENOMEM, "read the image config");
          goto out;
        }
    }
  const char *a = json_string_at(root, "architecture");
  if (a && arch && strcmp(a, arch))
    cntr_warn("the tools image is for %s, this machine is %s: its programs may not run", a, arch);
  rc = 0;
out:
  json_object_put(root);
  return rc;
}
