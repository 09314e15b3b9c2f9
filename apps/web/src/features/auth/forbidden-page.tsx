import { errorCatalogue } from '@portcullis/contract/errors';
import { Link } from 'react-router';
import { Page } from '../../components/page';

export function ForbiddenPage() {
  return (
    <Page title="Not allowed">
      <p>{errorCatalogue.forbidden.message}</p>
      <p>
        <Link to="/">Go to the home page</Link>
      </p>
    </Page>
  );
}
