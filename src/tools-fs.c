/* SPDX-License-Identifier: MIT */
/* The FUSE server of a session's tools (tools-fs.h). */
#include "tools-fs.h"
#include "cleanup.h"
#include "log.h"
#include "shim.h"
#include "startup.h"
#include "tools.h"
#include "util.h"

#include "cntrfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Most sessions of a single command end within this: they keep the short
   cache timeouts and skip setting up the watch (and its teardown's few
   milliseconds). */
#define TOOLS_WATCH_DELAY_MS 1000

const char *const tools_home_denied[] = {
  ".ssh",
  ".gnupg",
  ".aws",
  ".azure",
  ".kube",
  ".docker/config.json",
  ".config/gcloud",
  ".config/gh/hosts.yml",
  ".config/hub",
  ".terraform.d/credentials.tfrc.json",
  ".netrc",
  ".git-credentials",
  ".config/git/credentials",
  ".pgpass",
  ".my.cnf",
  ".password-store",
  ".vault-token",
  ".npmrc",
  ".pypirc",
  ".gem/credentials",
  ".cargo/credentials",
  ".cargo/credentials.toml",
  ".local/share/keyrings",
  ".mozilla",
  ".config/google-chrome",
  ".config/chromium",
  NULL,
};

_Static_assert(STARTUP_FILES == 3 && CNTRFS_MORE_FILES == STARTUP_FILES + 1,
               "the startup files and the audit module are the server's more files");

/* The directories whose libraries the audit module takes from the tools:
   every directory a loader searches by default on any distribution, and
   those of the tools' ld.so.conf. */
static const char *const system_library_dirs[] = {
  "/lib",       "/lib32",     "/lib64",      "/libx32",        "/usr/lib",
  "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/local/lib", NULL,
};

static int
build_audit_image(int tools_fd, const char *base, const char *alias, const char *search,
                  void **image, size_t *size)
{
  cleanup_free char *conf = tools_library_path(tools_fd, "");
  if (!conf)
    return cntr_fail_context("read the tools' library path");
  cleanup_strv char **dirs = calloc(1, sizeof(char *));
  if (!dirs)
    return cntr_fail(ENOMEM, "configure the loader audit module");
  for (const char *const *d = system_library_dirs; *d; d++)
    if (strv_push(&dirs, *d) < 0)
      return cntr_fail(ENOMEM, "configure the loader audit module");
  for (char *save = NULL, *d = strtok_r(conf, ":", &save); d; d = strtok_r(NULL, ":", &save))
    if (strv_push(&dirs, d) < 0)
      return cntr_fail(ENOMEM, "configure the loader audit module");
  if (shim_audit_image_build(base, alias, search, (const char *const *)dirs, image, size) < 0)
    return cntr_fail_context("configure the loader audit module");
  return 0;
}

void
tools_fs_images_free(struct tools_fs_images *images)
{
  free(images->shim);
  free(images->audit);
  images->shim = images->audit = NULL;
}

/* What every tools server has: read-only and the host policy unless asked
   otherwise. */
static struct cntrfs_config
common_config(const struct tools_fs_options *o)
{
  return (struct cntrfs_config){
    .source_fd = o->tools_fd,
    /* The session must not change the host (the tools tree is the host's):
       it writes a scratch layer over it, or nothing. */
    .read_only = !o->writable && o->scratch_fd < 0,
    .scratch = !o->writable && o->scratch_fd >= 0,
    .scratch_fd = o->writable ? -1 : o->scratch_fd,
    /* Nor read its secrets. */
    .host_policy = !o->all_files,
    .home = o->home,
    .home_denied = tools_home_denied,
    .watch_delay_ms = TOOLS_WATCH_DELAY_MS,
    .debug = o->debug,
  };
}

static struct cntrfs *
new_server(const struct cntrfs_config *config)
{
  struct cntrfs *fs = cntrfs_new(config);
  if (!fs)
    cntr_fail(errno, "start the FUSE server");
  return fs;
}

struct cntrfs *
tools_fs_new(const struct tools_fs_options *o, struct tools_fs_images *images, bool *alias)
{
  int tools_fd = o->tools_fd;
  const char *base = o->base_dir;
  *images = (struct tools_fs_images){ 0 };
  *alias = false;
  /* At /, the tools' absolute paths are their own: served as they are. */
  if (o->at_root)
    {
      struct cntrfs_config config = common_config(o);
      return new_server(&config);
    }
  const char *interp = shim_default_interp();
  cleanup_free char *interp_to = xasprintf("%s/%s", base, CNTR_SHIM_NAME);
  /* The rewritten interpreter must fit in the original's bytes: a base
     dir too long for that reaches the shim through the short alias. */
  *alias = interp_to && strlen(interp_to) > strlen(interp);
  if (*alias)
    {
      free(interp_to);
      interp_to = xasprintf("%s/%s", CNTR_TOOLS_ALIAS, CNTR_SHIM_NAME);
      cntr_debug("base dir %s is too long for the interpreter's %zu bytes: the shim is at %s", base,
                 strlen(interp), interp_to);
    }
  cleanup_free char *loader_rel = tools_resolve(tools_fd, interp);
  cleanup_free char *loader = NULL;
  cleanup_free char *library_path = NULL;
  cleanup_free char *exec_dir = NULL;
  cleanup_free char *audit = NULL;
  size_t shim_size = 0, audit_size = 0;
  bool rewrite = interp_to && loader_rel;
  if (!loader_rel)
    {
      cntr_error_clear();
      cntr_debug("the tools have no %s: their dynamically linked programs will not run", interp);
    }
  if (rewrite)
    {
      loader = xasprintf("%s%s", base, loader_rel);
      if (!loader)
        {
          cntr_fail(errno, "read the tools' library path");
          return NULL;
        }
      library_path = tools_library_path(tools_fd, base);
      if (!library_path)
        {
          cntr_fail_context("read the tools' library path");
          return NULL;
        }
      exec_dir = xasprintf("%s/%s", base, CNTR_EXEC_DIR_NAME);
      audit = xasprintf("%s/%s", base, CNTR_AUDIT_NAME);
      if (!exec_dir || !audit)
        {
          cntr_fail(errno, "configure the interpreter shim");
          return NULL;
        }
      if (build_audit_image(tools_fd, base, *alias ? CNTR_TOOLS_ALIAS : "", library_path,
                            &images->audit, &audit_size)
          < 0)
        return NULL;
      struct shim_paths paths = {
        .loader = loader, .library_path = library_path, .exec_dir = exec_dir, .audit = audit
      };
      if (shim_image_build(&paths, &images->shim, &shim_size) < 0)
        {
          cntr_fail_context("configure the interpreter shim");
          return NULL;
        }
      cntr_debug("interpreter %s -> %s (loader %s, libraries %s, audit %s)", interp, interp_to,
                 loader, library_path, audit);
    }
  struct cntrfs_config config = common_config(o);
  config.loader = loader_rel;
  config.symlink_prefix = base;
  config.interp_from = rewrite ? interp : NULL;
  config.interp_to = rewrite ? interp_to : NULL;
  config.synthetic = (struct cntrfs_synthetic){
    .name = rewrite ? CNTR_SHIM_NAME : NULL, .data = images->shim, .size = shim_size, .mode = 0555
  };
  for (size_t i = 0; i < STARTUP_FILES; i++)
    config.more_files[i]
        = (struct cntrfs_synthetic){ startup_files[i].name, startup_files[i].content,
                                     strlen(startup_files[i].content), 0444 };
  config.more_files[STARTUP_FILES] = (struct cntrfs_synthetic){ rewrite ? CNTR_AUDIT_NAME : NULL,
                                                                images->audit, audit_size, 0444 };
  config.link_dir_name = rewrite ? CNTR_EXEC_DIR_NAME : NULL;
  config.link_dir_target = loader;
  /* "#!/bin/sh" of a tools script names the target's /bin/sh (or
     nothing): the server makes exec see the tools' interpreter. */
  config.exec_script_prefix = base;
  return new_server(&config);
}
