/* The part of librpm that rpm-sys binds: read-only access to an installed rpm database. */
#include <fcntl.h>
#include <stdlib.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmts.h>
#include <rpm/rpmdb.h>
#include <rpm/header.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmver.h>
/* The transaction API: package files, problems, elements and the notify callback. */
#include <rpm/rpmio.h>
#include <rpm/rpmps.h>
#include <rpm/rpmprob.h>
#include <rpm/rpmte.h>
#include <rpm/rpmcallback.h>
/* verify.rs: package signature checks against a private keyring */
#include <rpm/rpmkeyring.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmcli.h>
