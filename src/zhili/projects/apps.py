from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "zhili.projects"
    label = "projects"
    verbose_name = "重大项目"

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from zhili.accounts.permissions import ObjectScope, register_scope_resolver
        from zhili.core.credit_code_sources import credit_code_source_register
        from zhili.core.platform_metrics import register_platform_metric
        from zhili.projects import selectors
        from zhili.projects.models import Project

        def project_scope(project: Project) -> ObjectScope:
            # a unit reports and raises problems only for its own projects; areas narrow the rest
            return ObjectScope(area_paths=(project.area_path,) if project.area_path else (),
                               department_ids=frozenset({project.department_id}))

        register_scope_resolver(Project, project_scope)
        # plan indicators fed from the monthly reports, through the indicators' platform-metric hook
        register_platform_metric("projects.fixed_asset_investment", "固定资产投资（重大项目月报，亿元）",
                                 lambda year: selectors.investment_of_year(year=year))
        register_platform_metric("projects.industrial_investment", "工业投资（工业项目月报，亿元）",
                                 lambda year: selectors.investment_of_year(year=year, industrial_only=True))
        # the 亩均 evaluation sees the owners of finished industrial projects
        credit_code_source_register("projects.finished_industrial_owners", "竣工工业项目业主",
                                    selectors.owner_credit_codes_of_finished_industrial_projects)
