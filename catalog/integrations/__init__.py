"""What Inspired does for returning shoppers and for partners who build on it.

- `events`: notices catalog changes (a video published, a look changed, an offer's price,
  stock or link changed) and hands them to webhooks and alerts.
- `webhooks`: signed deliveries to integrators' endpoints, retried and logged.
- `alerts`: shoppers' price-drop and back-in-stock alerts, their mails, the weekly digest.
- `fx`: the ECB's exchange rates and converted prices.
- `feeds`: the merchant feed export (Google Merchant Center XML and TSV).
- `embeds`: the oEmbed answer for embeddable video pages.
- `sharecards`: Open Graph images of looks.
- `tasks`: the Celery tasks over these services.
"""
