/* SPDX-License-Identifier: MIT */
/* The openers of the tools sources (tools-source.h), one per kind. */
#include "tools-source.h"
#include "cleanup.h"
#include "log.h"
#include "target.h"
#include "tools-cache.h"
#include "tools-image.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int
open_directory(const char *arg, struct tools_tree *tree)
{
  tree->root_fd = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (tree->root_fd < 0)
    return cntr_fail(errno, "--tools %s", arg);
  return 0;
}

struct unpack_arg
{
  struct image *img;
};

static int
unpack(void *arg, int root_fd)
{
  struct unpack_arg *u = arg;
  /* The progress line is for a person watching. */
  return image_unpack(u->img, root_fd, isatty(STDERR_FILENO));
}

/* The image unpacked in the cache: only the first attach of it unpacks. */
static int
open_image(const char *arg, struct tools_tree *tree)
{
  struct unpack_arg u = { NULL };
  if (image_open(arg, &u.img) < 0)
    return -1;
  char key[IMAGE_KEY_LEN + 1];
  image_digest_key(image_config_digest(u.img), key);
  bool made;
  int rc = tools_cache_open(key, unpack, &u, &tree->root_fd, &tree->hold_fd, &made);
  if (rc == 0)
    cntr_debug("--tools-image %s: image %s, %s %s/images/%s", arg, image_config_digest(u.img),
               made ? "unpacked into" : "already in", tools_cache_dir(), key);
  image_close(u.img);
  return rc;
}

/* Another container's root, as a target's is opened: /proc/PID/root walks
   that container's own mount table, so its volumes come along. */
static int
open_container(const char *arg, struct tools_tree *tree)
{
  if (target_open_root(arg, NULL, &tree->root_fd) < 0)
    return cntr_fail_context("--tools-container %s", arg);
  return 0;
}

static const struct tools_source
{
  const char *option;
  int (*open)(const char *arg, struct tools_tree *tree);
} sources[TOOLS_KIND_COUNT] = {
  [TOOLS_DIRECTORY] = { "--tools", open_directory },
  [TOOLS_IMAGE] = { "--tools-image", open_image },
  [TOOLS_CONTAINER] = { "--tools-container", open_container },
};

const char *
tools_option_name(enum tools_kind kind)
{
  return (unsigned)kind < TOOLS_KIND_COUNT ? sources[kind].option : "--tools";
}

int
tools_source_open(const struct tools_spec *spec, struct tools_tree *tree)
{
  tree->root_fd = tree->hold_fd = -1;
  if ((unsigned)spec->kind >= TOOLS_KIND_COUNT || !sources[spec->kind].open)
    return cntr_fail(EINVAL, "tools source %d", (int)spec->kind);
  if (sources[spec->kind].open(spec->arg, tree) < 0)
    {
      tools_tree_close(tree);
      return -1;
    }
  return 0;
}

void
tools_tree_close(struct tools_tree *tree)
{
  cleanup_closep(&tree->root_fd);
  cleanup_closep(&tree->hold_fd);
}
