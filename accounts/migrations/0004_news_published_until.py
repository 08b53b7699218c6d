from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_contact_email_pending'),
    ]

    operations = [
        migrations.AddField(
            model_name='news',
            name='published_until',
            field=models.DateTimeField(blank=True, help_text="Vide : l'actualité reste publiée. Sinon elle disparaît des pages d'accueil à cette date.", null=True, verbose_name="publiée jusqu'au"),
        ),
        migrations.AddConstraint(
            model_name='news',
            constraint=models.CheckConstraint(condition=models.Q(('published_until__isnull', True), ('published_until__gt', models.F('published_at')), _connector='OR'), name='news_ends_after_it_starts', violation_error_message='La fin de publication doit être postérieure à la date de publication.'),
        ),
    ]
