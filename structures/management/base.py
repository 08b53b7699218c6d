"""What the import commands share: their options and how a report is printed.

The work itself is in the ``structures.importers`` package; the commands only parse arguments,
call it and print its report.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chorus import formats
from structures import importers


class ImportCommand(BaseCommand):
    """Base of ``import_annuaire`` and ``import_engagements``."""

    import_function = None  # importers.import_annuaire or importers.import_engagements

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help=_("Fichier(s) à importer."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Tout vérifier et compter, puis tout annuler : rien n'est enregistré."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=importers.DEFAULT_BATCH_SIZE,
            help=_("Lignes écrites par transaction (défaut : %(default)s)."),
        )
        parser.add_argument(
            "--rejects-file",
            metavar="CSV",
            help=_("Écrire toutes les lignes rejetées dans ce fichier CSV (fichier;ligne;raison)."),
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=importers.DEFAULT_PROGRESS_EVERY,
            help=_("Afficher l'avancement toutes les N lignes (défaut : %(default)s)."),
        )

    def handle(self, *args, paths, dry_run, batch_size, rejects_file, progress_every, **options):
        if batch_size < 1:
            raise CommandError(_("--batch-size doit être un entier positif."))
        verbosity = options.get("verbosity", 1)

        def progress(file_report):
            if verbosity >= 1:
                self.stdout.write(
                    _("  %(name)s : %(read)s lignes lues…")
                    % {"name": file_report.display, "read": formats.integer(file_report.read)}
                )

        report = type(self).import_function(
            paths,
            batch_size=batch_size,
            dry_run=dry_run,
            progress=progress,
            progress_every=progress_every,
            rejects_file=rejects_file,
        )
        self.print_report(report, rejects_file=rejects_file)
        if not report.imported_files:
            raise CommandError(_("Aucun fichier n'a pu être lu : rien n'a été importé."))
        if report.accepted == 0:
            raise CommandError(_("Aucune ligne n'a pu être importée."))

    def print_report(self, report: importers.ImportReport, *, rejects_file=None):
        for file_report in report.errors:
            self.stderr.write(_("Erreur : %(message)s") % {"message": file_report.error})
        for file_report in report.imported_files:
            self.stdout.write("")
            self.stdout.write(
                self.style.MIGRATE_HEADING(f"{str(file_report.layout.label).capitalize()} — {file_report.display}")
            )
            self.stdout.write(
                _(
                    "  lus : %(read)s ; créés : %(created)s ; mis à jour : %(updated)s ; inchangés : %(unchanged)s ; rejetés : %(rejected)s"
                )
                % {
                    "read": file_report.read,
                    "created": file_report.created,
                    "updated": file_report.updated,
                    "unchanged": file_report.unchanged,
                    "rejected": file_report.rejected,
                }
            )
            for line, reason in file_report.rejects:
                self.stdout.write(_("  ligne %(line)s : %(reason)s") % {"line": line, "reason": reason})
            hidden = file_report.rejected - len(file_report.rejects)
            if hidden > 0:
                if rejects_file:
                    self.stdout.write(
                        _("  … et %(count)s autres lignes rejetées, toutes écrites dans %(file)s.")
                        % {"count": hidden, "file": rejects_file}
                    )
                else:
                    self.stdout.write(
                        _("  … et %(count)s autres lignes rejetées (option --rejects-file pour toutes les écrire).")
                        % {"count": hidden}
                    )
        if not report.imported_files:
            return
        self.stdout.write("")
        seconds = max(report.seconds, 0.001)
        self.stdout.write(
            _("Durée : %(seconds)s s (%(rate)s lignes/s).")
            % {"seconds": formats.number(report.seconds, 1), "rate": formats.integer(int(report.read / seconds))}
        )
        if report.dry_run:
            self.stdout.write(
                self.style.WARNING(_("Simulation (--dry-run) : aucune modification n'a été enregistrée."))
            )
        elif report.accepted:
            self.stdout.write(self.style.SUCCESS(_("Import terminé.")))
