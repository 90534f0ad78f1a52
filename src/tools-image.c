/* SPDX-License-Identifier: MIT */
/* Image archives and OCI layouts: their manifests, their blobs, and
   unpacking the chosen image's layers (tools-image.h). */
#include "tools-image.h"
#include "cleanup.h"
#include "log.h"
#include "tools-layer.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A manifest, index or config larger than this is no image's. */
#define IMAGE_JSON_MAX (16 << 20)
#define BLOB_BUFFER 65536
/* How often the progress line is redrawn. */
#define PROGRESS_INTERVAL_NS 100000000L
/* Nested image indexes followed at most (a multi-platform image has one). */
#define IMAGE_INDEX_DEPTH 4

#define OCI_REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME "io.containerd.image.name"

/* ---------------------------------------------------------------------- */
/* References and digests */

int
image_ref_parse(const char *spec, struct image_ref *r)
{
  static const struct
  {
    const char *prefix;
    enum image_transport transport;
  } transports[] = { { "oci:", IMAGE_OCI }, { "docker-archive:", IMAGE_DOCKER_ARCHIVE } };
  *r = (struct image_ref){ IMAGE_ANY, NULL, NULL };
  const char *path = spec;
  for (size_t i = 0; i < sizeof transports / sizeof *transports; i++)
    if (!strncmp(spec, transports[i].prefix, strlen(transports[i].prefix)))
      {
        r->transport = transports[i].transport;
        path = spec + strlen(transports[i].prefix);
      }
  const char *colon = r->transport == IMAGE_ANY ? NULL : strchr(path, ':');
  r->path = colon ? strndup(path, (size_t)(colon - path)) : strdup(path);
  if (colon && colon[1])
    r->ref = strdup(colon + 1);
  if (!r->path || (colon && colon[1] && !r->ref))
    {
      image_ref_free(r);
      return cntr_fail(ENOMEM, "--tools-image %s", spec);
    }
  if (!*r->path)
    {
      image_ref_free(r);
      return cntr_fail(0, "--tools-image '%s': names no archive or directory", spec);
    }
  return 0;
}

void
image_ref_free(struct image_ref *r)
{
  free(r->path);
  free(r->ref);
  r->path = r->ref = NULL;
}

bool
image_digest_valid(const char *s)
{
  if (!s || strncmp(s, "sha256:", 7) || strlen(s) != IMAGE_DIGEST_LEN)
    return false;
  for (const char *p = s + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

void
image_digest_key(const char *digest, char key[IMAGE_KEY_LEN + 1])
{
  snprintf(key, IMAGE_KEY_LEN + 1, "sha256-%s", digest + 7);
}

static void
digest_string(struct sha256_ctx *sha, char out[IMAGE_DIGEST_LEN + 1])
{
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(sha, sizeof d, d);
  memcpy(out, "sha256:", 7);
  for (size_t i = 0; i < sizeof d; i++)
    snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
}

/* "blobs/sha256/HEX" for a digest, and back (NULL: the name is no blob's). */
static char *
blob_name(const char *digest)
{
  return xasprintf("blobs/sha256/%s", digest + 7);
}

static char *
digest_of_blob_name(const char *name)
{
  const char *hex = strrchr(name, '/');
  if (strncmp(name, "blobs/sha256/", 13) || hex != name + 12)
    return NULL;
  char *d = xasprintf("sha256:%s", hex + 1);
  if (d && !image_digest_valid(d))
    {
      free(d);
      return NULL;
    }
  return d;
}

const char *
image_host_arch(void)
{
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__i386__)
  return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return NULL;
#endif
}

/* ---------------------------------------------------------------------- */
/* Manifests (pure) */

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
  p->config = blob_name(cdigest);
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
      if (plan_add_layer(p, blob_name(digest), strdup(digest), size) < 0)
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
  p->config_digest = digest_of_blob_name(config);
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
      if (plan_add_layer(p, strdup(l), digest_of_blob_name(l), -1) < 0)
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

/* ---------------------------------------------------------------------- */
/* Where the blobs are: a directory, or the members of a tar */

struct source
{
  int dir_fd;     /* an unpacked layout, or -1 */
  char *tar_path; /* a tar (perhaps compressed), or NULL */
};

/* A blob being read, hashed as it goes. */
struct blob
{
  int fd;                /* from a directory */
  struct archive *outer; /* from a tar: at the member's data */
  struct sha256_ctx sha;
  uint64_t done;
  int64_t size; /* -1 unknown */
  char buf[BLOB_BUFFER];
  /* The progress line. */
  bool progress;
  const char *label;
  struct timespec last;
};

static struct archive *
open_outer(const char *path)
{
  struct archive *a = archive_read_new();
  if (!a)
    return NULL;
  archive_read_support_format_tar(a);
  /* Not archive_read_support_filter_all: it runs external programs. */
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_bzip2(a);
  if (archive_read_open_filename(a, path, BLOB_BUFFER) != ARCHIVE_OK)
    {
      cntr_fail(0, "%s: %s", path, archive_error_string(a));
      cntr_hint("give a docker save or podman save archive, or an OCI image layout");
      archive_read_free(a);
      return NULL;
    }
  return a;
}

/* A member's name as a path in the layout ("./index.json" -> "index.json"). */
static char *
member_name(struct archive_entry *e)
{
  char *path = NULL;
  enum layer_entry_kind kind;
  if (layer_entry_parse(archive_entry_pathname(e), &path, &kind) < 0 || kind != LAYER_ENTRY_PATH)
    {
      free(path);
      return NULL;
    }
  return path;
}

/* Position a fresh reader of the tar at the data of member name. */
static int
seek_member(const struct source *s, const char *name, struct archive **out, int64_t *size)
{
  struct archive *a = open_outer(s->tar_path);
  if (!a)
    return -1;
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      cleanup_free char *m = member_name(e);
      if (m && !strcmp(m, name) && archive_entry_filetype(e) == AE_IFREG)
        {
          *size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
          *out = a;
          return 0;
        }
    }
  if (r == ARCHIVE_EOF)
    cntr_fail(ENOENT, "%s: %s", s->tar_path, name);
  else
    cntr_fail(0, "%s: %s", s->tar_path, archive_error_string(a));
  archive_read_free(a);
  return -1;
}

static int
blob_open(const struct source *s, const char *name, struct blob *b)
{
  b->fd = -1;
  b->outer = NULL;
  b->done = 0;
  b->size = -1;
  b->progress = false;
  sha256_init(&b->sha);
  if (s->tar_path)
    return seek_member(s, name, &b->outer, &b->size);
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  b->fd = (int)syscall(SYS_openat2, s->dir_fd, name, &how, sizeof how);
  struct stat st;
  if (b->fd < 0 || fstat(b->fd, &st) < 0)
    return cntr_fail(errno, "%s", name);
  if (!S_ISREG(st.st_mode))
    return cntr_fail(0, "%s: not a regular file", name);
  b->size = st.st_size;
  return 0;
}

static void
blob_close(struct blob *b)
{
  cleanup_closep(&b->fd);
  if (b->outer)
    archive_read_free(b->outer);
  b->outer = NULL;
}

static void
progress_draw(struct blob *b, bool force)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ns = (now.tv_sec - b->last.tv_sec) * 1000000000L + (now.tv_nsec - b->last.tv_nsec);
  if (!force && ns < PROGRESS_INTERVAL_NS)
    return;
  b->last = now;
  if (b->size > 0)
    fprintf(stderr, "\rcntr: unpacking %s: %.1f of %.1f MiB\033[K", b->label,
            (double)b->done / (1 << 20), (double)b->size / (1 << 20));
  else
    fprintf(stderr, "\rcntr: unpacking %s: %.1f MiB\033[K", b->label, (double)b->done / (1 << 20));
  fflush(stderr);
}

/* The next bytes of the blob: their count, 0 at its end, -1 on error. */
static ssize_t
blob_read(struct blob *b, const void **data)
{
  ssize_t n;
  if (b->outer)
    {
      n = archive_read_data(b->outer, b->buf, sizeof b->buf);
      if (n < 0)
        {
          cntr_fail(0, "read the archive: %s", archive_error_string(b->outer));
          return -1;
        }
    }
  else
    {
      do
        n = read(b->fd, b->buf, sizeof b->buf);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        {
          cntr_fail(errno, "read the image");
          return -1;
        }
    }
  sha256_update(&b->sha, (size_t)n, (const uint8_t *)b->buf);
  b->done += (uint64_t)n;
  if (b->progress)
    progress_draw(b, false);
  *data = b->buf;
  return n;
}

/* Read what is left of the blob (libarchive stops at the tar's end
   marker), so that the digest is of all of it. */
static int
blob_drain(struct blob *b)
{
  const void *data;
  ssize_t n;
  while ((n = blob_read(b, &data)) > 0)
    ;
  return n < 0 ? -1 : 0;
}

/* The digest of what was read must be expected (NULL: nothing to check). */
static int
blob_check(struct blob *b, const char *expected, const char *what)
{
  char got[IMAGE_DIGEST_LEN + 1];
  digest_string(&b->sha, got);
  if (expected && strcmp(got, expected))
    {
      cntr_fail(0, "%s: its digest is %s, not %s", what, got, expected);
      cntr_hint("the archive is corrupt or was changed: nothing of it was kept");
      return -1;
    }
  return 0;
}

/* A small blob (JSON) whole, checked against its digest (NULL: none). */
static int
blob_read_all(const struct source *s, const char *name, const char *digest, char **out,
              char *digest_out)
{
  struct blob *b = malloc(sizeof *b);
  if (!b)
    return cntr_fail(ENOMEM, "read %s", name);
  int rc = -1;
  size_t len = 0;
  char *buf = NULL;
  if (blob_open(s, name, b) < 0)
    goto out;
  for (;;)
    {
      const void *data;
      ssize_t n = blob_read(b, &data);
      if (n < 0)
        goto out;
      if (n == 0)
        break;
      if (len + (size_t)n > IMAGE_JSON_MAX)
        {
          cntr_fail(EFBIG, "%s", name);
          goto out;
        }
      char *grown = realloc(buf, len + (size_t)n + 1);
      if (!grown)
        {
          cntr_fail(ENOMEM, "read %s", name);
          goto out;
        }
      buf = grown;
      memcpy(buf + len, data, (size_t)n);
      len += (size_t)n;
    }
  if (!buf && !(buf = malloc(1)))
    {
      cntr_fail(ENOMEM, "read %s", name);
      goto out;
    }
  buf[len] = '\0';
  if (blob_check(b, digest, name) < 0)
    goto out;
  if (digest_out)
    digest_string(&b->sha, digest_out);
  *out = steal_pointer(&buf);
  rc = 0;
out:
  free(buf);
  blob_close(b);
  free(b);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Opening an image */

struct image
{
  char *spec; /* for messages */
  struct source src;
  struct image_plan plan;
};

const char *
image_config_digest(const struct image *img)
{
  return img->plan.config_digest;
}

void
image_close(struct image *img)
{
  if (!img)
    return;
  cleanup_closep(&img->src.dir_fd);
  free(img->src.tar_path);
  image_plan_free(&img->plan);
  free(img->spec);
  free(img);
}

/* Which of index.json and manifest.json the source has; from a tar, their
   contents too (read in the same pass). */
struct found
{
  bool index, manifest;
  char *index_json, *manifest_json;
};

static int
find_top_files(const struct source *s, struct found *f)
{
  if (!s->tar_path)
    {
      f->index = faccessat(s->dir_fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
      f->manifest = faccessat(s->dir_fd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
      return 0;
    }
  struct archive *a = open_outer(s->tar_path);
  if (!a)
    return -1;
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      cleanup_free char *m = member_name(e);
      char **slot = !m                            ? NULL
                    : !strcmp(m, "index.json")    ? &f->index_json
                    : !strcmp(m, "manifest.json") ? &f->manifest_json
                                                  : NULL;
      if (!slot || archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) > IMAGE_JSON_MAX)
        continue;
      size_t len = (size_t)archive_entry_size(e);
      free(*slot);
      *slot = malloc(len + 1);
      if (!*slot)
        break;
      la_ssize_t n = archive_read_data(a, *slot, len);
      if (n != (la_ssize_t)len)
        {
          r = ARCHIVE_FATAL;
          break;
        }
      (*slot)[len] = '\0';
    }
  if (r != ARCHIVE_EOF)
    {
      cntr_fail(0, "%s: %s", s->tar_path,
                archive_error_string(a) ? archive_error_string(a) : strerror(ENOMEM));
      cntr_hint("give a docker save or podman save archive, or an OCI image layout");
      archive_read_free(a);
      return -1;
    }
  archive_read_free(a);
  f->index = f->index_json != NULL;
  f->manifest = f->manifest_json != NULL;
  return 0;
}

static int
read_top(const struct source *s, const char *name, char *preloaded, char **out)
{
  if (s->tar_path)
    {
      *out = preloaded;
      return 0;
    }
  return blob_read_all(s, name, NULL, out, NULL);
}

static int
open_oci(struct image *img, const struct image_ref *r, char *index_json)
{
  cleanup_free char *json = NULL;
  if (read_top(&img->src, "index.json", index_json, &json) < 0)
    return -1;
  const char *arch = image_host_arch();
  cleanup_free char *digest = NULL;
  bool is_index;
  if (image_parse_index(json, r->ref, arch, &digest, &is_index) < 0)
    return -1;
  for (int depth = 0;; depth++)
    {
      cleanup_free char *name = blob_name(digest);
      free(json);
      json = NULL;
      if (!name || blob_read_all(&img->src, name, digest, &json, NULL) < 0)
        return cntr_fail_context("the manifest %s", digest);
      if (!is_index)
        break;
      if (depth == IMAGE_INDEX_DEPTH)
        return cntr_fail(0, "image indexes nested deeper than %d", IMAGE_INDEX_DEPTH);
      free(digest);
      digest = NULL;
      /* A multi-platform image: this machine's. */
      if (image_parse_index(json, NULL, arch, &digest, &is_index) < 0)
        return cntr_fail_context("the image index");
    }
  return image_parse_manifest(json, &img->plan);
}

static int
open_docker(struct image *img, const struct image_ref *r, char *manifest_json)
{
  cleanup_free char *json = NULL;
  if (read_top(&img->src, "manifest.json", manifest_json, &json) < 0)
    return -1;
  if (image_parse_docker_manifest(json, r->ref, &img->plan) < 0)
    return -1;
  if (img->plan.config_digest)
    return 0;
  /* A config named otherwise: its digest is what it hashes to. */
  cleanup_free char *config = NULL;
  char digest[IMAGE_DIGEST_LEN + 1];
  if (blob_read_all(&img->src, img->plan.config, NULL, &config, digest) < 0)
    return -1;
  img->plan.config_digest = strdup(digest);
  return img->plan.config_digest ? 0 : cntr_fail(ENOMEM, "read the image config");
}

static int
open_source(struct image *img, const char *path)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return cntr_fail(errno, "open the archive");
  if (S_ISDIR(st.st_mode))
    {
      img->src.dir_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      return img->src.dir_fd < 0 ? cntr_fail(errno, "open the layout") : 0;
    }
  if (!S_ISREG(st.st_mode))
    return cntr_fail(0, "not a file or a directory");
  img->src.tar_path = strdup(path);
  return img->src.tar_path ? 0 : cntr_fail(ENOMEM, "%s", path);
}

static int
open_image(struct image *img, const struct image_ref *r)
{
  if (open_source(img, r->path) < 0)
    return -1;
  struct found f = { 0 };
  if (find_top_files(&img->src, &f) < 0)
    return -1;
  bool oci = r->transport == IMAGE_OCI || (r->transport == IMAGE_ANY && f.index);
  int rc;
  if (oci && f.index)
    rc = open_oci(img, r, steal_pointer(&f.index_json));
  else if (!oci && f.manifest)
    rc = open_docker(img, r, steal_pointer(&f.manifest_json));
  else
    {
      cntr_fail(0, "not an image: no %s",
                r->transport == IMAGE_OCI              ? "index.json"
                : r->transport == IMAGE_DOCKER_ARCHIVE ? "manifest.json"
                                                       : "index.json nor manifest.json");
      cntr_hint("give a docker save or podman save archive, or an OCI image layout "
                "(a directory or a tar)");
      rc = -1;
    }
  free(f.index_json);
  free(f.manifest_json);
  return rc;
}

int
image_open(const char *spec, struct image **out)
{
  *out = NULL;
  struct image *img = calloc(1, sizeof *img);
  if (!img || !(img->spec = strdup(spec)))
    {
      free(img);
      return cntr_fail(ENOMEM, "--tools-image %s", spec);
    }
  img->src.dir_fd = -1;
  struct image_ref r;
  int rc = image_ref_parse(spec, &r);
  if (rc == 0)
    rc = open_image(img, &r);
  image_ref_free(&r);
  if (rc < 0)
    {
      image_close(img);
      return cntr_fail_context("--tools-image %s", spec);
    }
  *out = img;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Unpacking */

static la_ssize_t
layer_read(struct archive *a, void *arg, const void **buf)
{
  (void)a;
  ssize_t n = blob_read(arg, buf);
  if (n < 0)
    {
      archive_set_error(a, EIO, "%s", cntr_error_message());
      return -1;
    }
  return n;
}

/* One layer: its blob through libarchive onto the tree, then its digest. */
static int
unpack_layer(struct image *img, size_t i, struct layer_tree *tree, struct blob *b, bool progress)
{
  const struct image_layer *l = &img->plan.layers[i];
  cleanup_free char *what = xasprintf("layer %zu/%zu of %s", i + 1, img->plan.nlayers, img->spec);
  cleanup_free char *label = xasprintf("layer %zu/%zu", i + 1, img->plan.nlayers);
  if (!what || !label)
    return cntr_fail(ENOMEM, "unpack the image");
  if (blob_open(&img->src, l->blob, b) < 0)
    return cntr_fail_context("%s", what);
  if (l->size >= 0)
    b->size = l->size;
  b->progress = progress;
  b->label = label;
  b->last = (struct timespec){ 0 };
  struct archive *a = archive_read_new();
  if (!a)
    {
      blob_close(b);
      return cntr_fail(ENOMEM, "%s", what);
    }
  archive_read_support_format_tar(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_bzip2(a);
  struct layer_stats st = { 0 };
  int rc = -1;
  if (archive_read_open(a, b, NULL, layer_read, NULL) != ARCHIVE_OK)
    {
      cntr_fail(0, "%s: %s", what, archive_error_string(a));
      cntr_hint("the layer is corrupt or not a tar");
    }
  else if (layer_apply(tree, a, what, &st) == 0 && blob_drain(b) == 0)
    {
      /* The digest the archive names for the blob; else, for an
         uncompressed one, the config's diff_id (which is of the tar). */
      bool plain = archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE;
      const char *expected = l->digest ? l->digest : plain ? l->diff_id : NULL;
      if (!expected)
        cntr_debug("%s: compressed, and no digest names it: not verified", what);
      rc = blob_check(b, expected, what);
    }
  archive_read_free(a);
  blob_close(b);
  if (rc == 0)
    cntr_debug("%s: %llu entries, %llu bytes; %llu device nodes or sockets skipped, %llu "
               "setuid/setgid files made plain",
               what, (unsigned long long)st.entries, (unsigned long long)st.bytes,
               (unsigned long long)st.skipped, (unsigned long long)st.stripped);
  return rc;
}

int
image_unpack(struct image *img, int root_fd, bool progress)
{
  cleanup_free char *config = NULL;
  if (blob_read_all(&img->src, img->plan.config, img->plan.config_digest, &config, NULL) < 0
      || image_parse_config(config, image_host_arch(), &img->plan) < 0)
    return cntr_fail_context("--tools-image %s", img->spec);
  struct layer_tree *tree = layer_tree_new(root_fd);
  struct blob *b = malloc(sizeof *b);
  int rc = tree && b ? 0 : cntr_fail(ENOMEM, "unpack %s", img->spec);
  for (size_t i = 0; rc == 0 && i < img->plan.nlayers; i++)
    rc = unpack_layer(img, i, tree, b, progress);
  if (rc == 0)
    rc = layer_tree_finish(tree);
  if (progress)
    {
      fputs("\r\033[K", stderr);
      fflush(stderr);
    }
  layer_tree_free(tree);
  free(b);
  return rc;
}
