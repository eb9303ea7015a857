/* sc-core.h: everything libsetupconsole offers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sc-chain.h"
#include "sc-crypto.h"
#include "sc-csr.h"
#include "sc-dak.h"
#include "sc-defaults.h"
#include "sc-device.h"
#include "sc-device-link.h"
#include "sc-device-monitor.h"
#include "sc-file-set.h"
#include "sc-flasher.h"
#include "sc-key.h"
#include "sc-label.h"
#include "sc-manifest.h"
#include "sc-payload.h"
#include "sc-pin.h"
#include "sc-printer.h"
#include "sc-profile.h"
#include "sc-profile-file.h"
#include "sc-secret.h"
#include "sc-signer.h"
#include "sc-software-signer.h"
#include "sc-station-secret.h"
#include "sc-store.h"
#include "sc-symbol.h"
#include "sc-training.h"
#include "sc-unit-run.h"
#include "sc-users.h"
#include "sc-yubikey-signer.h"
