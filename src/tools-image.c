/* SPDX-License-Identifier: MIT */
/* Image archives and OCI layouts: references and digests, their blobs,
   and unpacking the chosen image's layers (tools-image.h; the JSON is
   tools-manifest.c's). */
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

char *
image_blob_name(const char *digest)
{
  return xasprintf("blobs/sha256/%s", digest + 7);
}

char *
image_digest_of_blob_name(const char *name)
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
      cleanup_free char *name = image_blob_name(digest);
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
