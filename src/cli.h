/* SPDX-License-Identifier: MIT */
/* The command line: for each subcommand, one table of its options, from
   which both getopt_long's table and the Options part of --help are made,
   and a parser that turns argv into the subcommand's options struct.
   Parsing prints its own help, version and usage errors (to the streams it
   is given), so that it can be tested without running anything. */
#ifndef CNTR_CLI_H
#define CNTR_CLI_H

#include "attach.h"
#include "mount.h"
#include "ps.h"

#include <stdio.h>

/* One option: its long name, its short letter (0 for none) and, in
   --help, the name of its argument (NULL for none) and what it does. */
struct cli_option
{
  const char *name;
  char letter;
  const char *arg;
  const char *help;
  /* What the parser returns for it; 0: its index in the table. */
  int id;
};

enum cli_result
{
  CLI_RUN,   /* run the subcommand with the options parsed */
  CLI_EXIT,  /* help or version printed: exit 0 */
  CLI_ERROR, /* a usage error was printed: exit CNTR_EXIT_FAILURE */
};

/* The streams parsing prints to: out for --help and --version, err for
   mistakes. */
struct cli_io
{
  FILE *out, *err;
};

/* argv[0] is the subcommand's name.  The options point into argv (and,
   for attach, into the environment: CNTR_BASE_DIR). */
enum cli_result cli_parse_attach(int argc, char **argv, const struct cli_io *io,
                                 struct attach_options *o);
/* cntr exec: attach's options but those of the tools. */
enum cli_result cli_parse_exec(int argc, char **argv, const struct cli_io *io,
                               struct attach_options *o);
enum cli_result cli_parse_mount(int argc, char **argv, const struct cli_io *io,
                                struct mount_options *o);
enum cli_result cli_parse_ps(int argc, char **argv, const struct cli_io *io, struct ps_options *o);
/* cntr prune takes no operand. */
enum cli_result cli_parse_prune(int argc, char **argv, const struct cli_io *io);

/* A subcommand as main() has it, for the completions. */
struct cli_command_name
{
  const char *name;
  const char *summary;
};

/* The completion script of shell ("bash", "zsh", "fish") for the commands,
   made from the option tables; -1 for another shell. */
int cli_print_completion(FILE *out, const char *shell, const struct cli_command_name *commands,
                         size_t n);

/* "cntr VERSION (commit COMMIT)". */
void cli_print_version(FILE *out);

/* The Options part of a --help: "  -t, --type LIST   look NAME up ...". */
void cli_print_options(FILE *out, const struct cli_option *options);

#endif
