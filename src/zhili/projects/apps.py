from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "zhili.projects"
    label = "projects"
    verbose_name = "重大项目"

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from zhili.accounts.permissions import ObjectScope, register_scope_resolver
        from zhili.projects.models import Project

        def project_scope(project: Project) -> ObjectScope:
            # a unit reports and raises problems only for its own projects; areas narrow the rest
            return ObjectScope(area_paths=(project.area_path,) if project.area_path else (),
                               department_ids=frozenset({project.department_id}))

        register_scope_resolver(Project, project_scope)
