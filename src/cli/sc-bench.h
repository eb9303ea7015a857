/* sc-bench.h: benchmarks of the CLI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

int cmd_bench_labels (int argc, char **argv);
