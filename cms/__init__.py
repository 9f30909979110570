"""The site shell: home page, standard pages, navigation, footer, site settings, admin hooks."""
